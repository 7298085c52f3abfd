#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "dynobs/tracing/otlp/transport.h"

namespace dynobs::otlp {

// OTLP/HTTP with libcurl: POST of application/x-protobuf or application/json to the configured
// URL, `Content-Encoding: gzip` when compression is on, the configured headers, TLS verified with
// OpenSSL against the system's CAs or OTEL_EXPORTER_OTLP_CERTIFICATE (client certificate and key
// for mTLS). No redirects are followed. The connection is kept alive between requests.
//
// Answers: 2xx is success (its body may carry a partial success); 429, 502, 503, 504 retryable,
// with Retry-After honoured; every other status final. Network errors and timeouts are
// retryable; certificate errors final. At most 64 KiB of an answer's body is read.
//
// Thread safety: see Transport.
class HttpTransport final : public Transport {
 public:
  static StatusOr<std::unique_ptr<HttpTransport>> Create(const SignalConfig& config);
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  AttemptResult Send(std::string_view body, int64_t deadline_ns) override;
  void Abort() override;

 private:
  struct Handles;
  HttpTransport(const SignalConfig& config, std::unique_ptr<Handles> handles);
  AttemptResult Perform(std::string_view payload, int64_t deadline_ns);
  AttemptResult Classify(int curl_code, long status);

  Signal signal_;
  Compression compression_;
  std::unique_ptr<Handles> handles_;
  std::atomic<bool> aborted_{false};
  std::string response_;
  std::string retry_after_;
  std::string content_type_;
};

}  // namespace dynobs::otlp
