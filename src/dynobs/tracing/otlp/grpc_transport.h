#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/transport.h"

namespace grpc {
class Channel;
class ClientContext;
template <class RequestType, class ResponseType>
class TemplatedGenericStub;
class ByteBuffer;
class Status;
}  // namespace grpc

namespace dynobs::otlp {

// OTLP/gRPC with Debian's gRPC C++: a unary call of
// /opentelemetry.proto.collector.{trace,logs}.v1.{Trace,Logs}Service/Export through a generic
// stub, the request being dynobs's own serialized bytes (no generated code). Plaintext for
// http:// endpoints, TLS (server verified against OTEL_EXPORTER_OTLP_CERTIFICATE or gRPC's roots)
// for https://. Headers become metadata; gzip is gRPC message compression. gRPC's own retries
// are off (the exporter retries); reconnection backs off at most 5 s, so a collector that comes
// back is used within seconds.
//
// Answers: OK (maybe with a partial success); the retryable codes of retry.h, honouring a
// google.rpc.RetryInfo in grpc-status-details-bin; every other code final.
//
// Thread safety: see Transport.
class GrpcTransport final : public Transport {
 public:
  static StatusOr<std::unique_ptr<GrpcTransport>> Create(const SignalConfig& config);
  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  AttemptResult Send(std::string_view body, int64_t deadline_ns) override;
  void Abort() override;

 private:
  using Stub = grpc::TemplatedGenericStub<grpc::ByteBuffer, grpc::ByteBuffer>;
  GrpcTransport(const SignalConfig& config, std::shared_ptr<grpc::Channel> channel);
  // One unary call, waited for.
  grpc::Status Call(grpc::ClientContext* context, const grpc::ByteBuffer& request,
                    grpc::ByteBuffer* response);

  SignalConfig config_;
  std::string method_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  std::mutex mu_;
  bool aborted_ = false;                   // guarded by mu_
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_: the call Abort cancels
};

}  // namespace dynobs::otlp
