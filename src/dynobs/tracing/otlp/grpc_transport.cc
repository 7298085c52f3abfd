#include "dynobs/tracing/otlp/grpc_transport.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dynobs/common/clock.h"
#include "dynobs/tracing/otlp/retry.h"

namespace dynobs::otlp {
namespace {

constexpr int kMaxReconnectBackoffMs = 5000;

StatusOr<std::string> ReadPem(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path);
  if (!in.good()) return InvalidArgumentError(fmt::format("cannot read PEM file {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const SignalConfig& c) {
  if (!c.tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  for (auto [path, pem] : {std::pair{&c.certificate_file, &options.pem_root_certs},
                           {&c.client_key_file, &options.pem_private_key},
                           {&c.client_certificate_file, &options.pem_cert_chain}}) {
    auto text = ReadPem(*path);
    if (!text.ok()) return text.status();
    *pem = std::move(*text);
  }
  return grpc::SslCredentials(options);
}

FailureKind KindOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return FailureKind::kTimeout;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return FailureKind::kThrottled;
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return FailureKind::kUnavailable;
    default:
      return FailureKind::kRejected;
  }
}

AttemptResult Classify(const grpc::Status& status, const grpc::ByteBuffer& response) {
  using Outcome = AttemptResult::Outcome;
  if (status.ok()) {
    AttemptResult ok;
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      std::string body;
      for (const auto& s : slices) body.append(reinterpret_cast<const char*>(s.begin()), s.size());
      if (auto partial = ParseProtoResponse(body)) ok.partial = std::move(*partial);
    }
    return ok;
  }
  std::optional<int64_t> delay = RetryInfoDelayMs(status.error_details());
  int code = static_cast<int>(status.error_code());
  bool retryable = IsRetryableGrpcCode(code, delay.has_value());
  auto r = AttemptResult::Failed(
      retryable ? Outcome::kRetryable : Outcome::kFinal, KindOf(status.error_code()),
      fmt::format("gRPC status {}: {}", code, status.error_message().substr(0, 256)));
  r.retry_after_ms = delay;
  return r;
}

}  // namespace

StatusOr<std::unique_ptr<GrpcTransport>> GrpcTransport::Create(const SignalConfig& config) {
  auto creds = Credentials(config);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  args.SetUserAgentPrefix("dynobs-otlp/0.1");
  auto channel = grpc::CreateCustomChannel(config.grpc_target, *creds, args);
  if (channel == nullptr) return InternalError("gRPC channel could not be created");
  return std::unique_ptr<GrpcTransport>(new GrpcTransport(config, std::move(channel)));
}

GrpcTransport::GrpcTransport(const SignalConfig& config, std::shared_ptr<grpc::Channel> channel)
    : config_(config),
      method_(config.signal == Signal::kTraces
                  ? "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
                  : "/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
      channel_(std::move(channel)),
      stub_(std::make_unique<Stub>(channel_)) {}

GrpcTransport::~GrpcTransport() = default;

void GrpcTransport::Abort() {
  std::lock_guard lock(mu_);
  aborted_ = true;
  if (active_ != nullptr) active_->TryCancel();
}

grpc::Status GrpcTransport::Call(grpc::ClientContext* context, const grpc::ByteBuffer& request,
                                 grpc::ByteBuffer* response) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub_->UnaryCall(context, method_, grpc::StubOptions(), &request, response, [&](grpc::Status s) {
    std::lock_guard lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_one();
  });
  // The deadline ends the call; the callback always runs, so wait for it.
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  return status;
}

AttemptResult GrpcTransport::Send(std::string_view body, int64_t deadline_ns) {
  grpc::ClientContext context;
  auto remaining = std::chrono::nanoseconds(std::max<int64_t>(0, deadline_ns - MonotonicNanos()));
  context.set_deadline(std::chrono::system_clock::now() + remaining);
  for (const auto& [name, value] : config_.headers) context.AddMetadata(name, value);
  if (config_.compression == Compression::kGzip) {
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  }
  grpc::Slice slice(body.data(), body.size());
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  {
    std::lock_guard lock(mu_);
    if (aborted_) {
      return AttemptResult::Failed(AttemptResult::Outcome::kFinal, FailureKind::kCancelled, "");
    }
    active_ = &context;
  }
  grpc::Status status = Call(&context, request, &response);
  std::lock_guard lock(mu_);
  active_ = nullptr;
  if (aborted_) {
    return AttemptResult::Failed(AttemptResult::Outcome::kFinal, FailureKind::kCancelled, "");
  }
  return Classify(status, response);
}

}  // namespace dynobs::otlp
