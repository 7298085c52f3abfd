#include "dynobs/runtime/request_plane/client.h"

#include <utility>

#include <fmt/format.h>

#include "dynobs/http/internal/io_context.h"
#include "dynobs/runtime/request_plane/internal/client_stream.h"

namespace dynobs::runtime {

using request_plane_internal::ClientState;
using request_plane_internal::ClientStream;
using request_plane_internal::ClientStreamHandle;

RequestPlaneClient::RequestPlaneClient(http::EventLoop& loop, RequestPlaneClientOptions options)
    : state_(std::make_shared<ClientState>(http::internal::IoContext(loop), std::move(options))) {}

RequestPlaneClient::~RequestPlaneClient() { state_->pool.CloseIdle(); }

std::unique_ptr<StreamHandle> RequestPlaneClient::Generate(std::string_view address,
                                                           std::string_view endpoint,
                                                           RequestHeaders headers, std::string body,
                                                           StreamCallbacks callbacks) {
  const size_t body_bytes = body.size();
  auto stream = std::make_shared<ClientStream>(state_, endpoint, std::move(headers),
                                               std::move(body), std::move(callbacks));
  state_->metrics.inflight.Inc();
  auto handle = std::make_unique<ClientStreamHandle>(stream);
  if (body_bytes > state_->options.max_request_bytes) {
    stream->FailSoon(
        InvalidArgumentError(fmt::format("request body of {} bytes exceeds max_request_bytes ({})",
                                         body_bytes, state_->options.max_request_bytes)));
    return handle;
  }
  auto connection = state_->pool.Acquire(address);
  if (!connection.ok()) {
    stream->FailSoon(connection.status());
    return handle;
  }
  stream->Start(std::move(*connection));
  return handle;
}

uint64_t RequestPlaneClient::connections_opened() const { return state_->pool.connects(); }

size_t RequestPlaneClient::idle_connections() const { return state_->pool.idle(); }

}  // namespace dynobs::runtime
