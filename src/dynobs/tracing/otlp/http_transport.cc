#include "dynobs/tracing/otlp/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include <fmt/format.h>

#include "dynobs/common/clock.h"
#include "dynobs/common/gzip.h"
#include "dynobs/tracing/otlp/internal/proto_reader.h"
#include "dynobs/tracing/otlp/retry.h"

namespace dynobs::otlp {
namespace {

constexpr size_t kMaxResponseBytes = 64 * 1024;
constexpr int kPollMs = 1000;  // curl_multi_poll's longest sleep; Abort wakes it sooner

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  size_t bytes = size * n;
  if (out->size() < kMaxResponseBytes) {
    out->append(data, std::min(bytes, kMaxResponseBytes - out->size()));
  }
  return bytes;  // the rest is discarded, not an error
}

// Case-insensitive "Name: value" header line; sets `value` when it is `name`.
bool HeaderValue(std::string_view line, std::string_view name, std::string* value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  std::string_view v = line.substr(name.size() + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
    v.remove_suffix(1);
  value->assign(v.substr(0, 256));
  return true;
}

// The `message` of a google.rpc.Status error body (protobuf or JSON), or a prefix of the body.
std::string ErrorMessage(const std::string& body, const std::string& content_type) {
  if (content_type.starts_with("application/x-protobuf")) {
    internal::ProtoReader r(body);
    while (r.Next()) {
      if (r.field() == 2 && r.is_bytes()) return std::string(r.bytes().substr(0, 256));
    }
  }
  return body.substr(0, 256);
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct HttpTransport::Handles {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  curl_slist* headers = nullptr;
  ~Handles() {
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }
};

StatusOr<std::unique_ptr<HttpTransport>> HttpTransport::Create(const SignalConfig& config) {
  GlobalInit();
  auto h = std::make_unique<Handles>();
  h->easy = curl_easy_init();
  h->multi = curl_multi_init();
  if (h->easy == nullptr || h->multi == nullptr) return InternalError("libcurl did not start");
  bool json = config.protocol == Protocol::kHttpJson;
  std::vector<std::string> lines = {
      json ? "Content-Type: application/json" : "Content-Type: application/x-protobuf", "Expect:"};
  if (config.compression == Compression::kGzip) lines.emplace_back("Content-Encoding: gzip");
  for (const auto& [name, value] : config.headers) {
    lines.push_back(fmt::format("{}: {}", name, value));
  }
  for (const auto& line : lines) {
    curl_slist* next = curl_slist_append(h->headers, line.c_str());
    if (next == nullptr) return InternalError("libcurl: out of memory");
    h->headers = next;
  }
  CURL* e = h->easy;
  curl_easy_setopt(e, CURLOPT_URL, config.endpoint.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "dynobs-otlp/0.1");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!config.certificate_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, config.certificate_file.c_str());
  }
  if (!config.client_certificate_file.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, config.client_certificate_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEY, config.client_key_file.c_str());
  }
  return std::unique_ptr<HttpTransport>(new HttpTransport(config, std::move(h)));
}

HttpTransport::HttpTransport(const SignalConfig& config, std::unique_ptr<Handles> handles)
    : signal_(config.signal), compression_(config.compression), handles_(std::move(handles)) {
  CURL* e = handles_->easy;
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &response_);
  curl_easy_setopt(
      e, CURLOPT_HEADERFUNCTION, +[](char* data, size_t size, size_t n, void* user) -> size_t {
        auto* self = static_cast<HttpTransport*>(user);
        std::string_view line(data, size * n);
        if (!HeaderValue(line, "retry-after", &self->retry_after_)) {
          HeaderValue(line, "content-type", &self->content_type_);
        }
        return size * n;
      });
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
}

HttpTransport::~HttpTransport() = default;

void HttpTransport::Abort() {
  aborted_.store(true);
  curl_multi_wakeup(handles_->multi);
}

AttemptResult HttpTransport::Send(std::string_view body, int64_t deadline_ns) {
  using Outcome = AttemptResult::Outcome;
  if (aborted_.load()) return AttemptResult::Failed(Outcome::kFinal, FailureKind::kCancelled, "");
  if (compression_ == Compression::kNone) return Perform(body, deadline_ns);
  auto gz = GzipCompress(body);
  if (!gz.ok()) {
    return AttemptResult::Failed(Outcome::kFinal, FailureKind::kEncoding, gz.status().message());
  }
  return Perform(*gz, deadline_ns);
}

AttemptResult HttpTransport::Perform(std::string_view payload, int64_t deadline_ns) {
  int64_t timeout_ms = std::max<int64_t>(1, (deadline_ns - MonotonicNanos()) / 1'000'000);
  CURL* e = handles_->easy;
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  response_.clear();
  retry_after_.clear();
  content_type_.clear();
  curl_multi_add_handle(handles_->multi, e);
  int running = 1;
  while (running > 0 && !aborted_.load()) {
    if (curl_multi_perform(handles_->multi, &running) != CURLM_OK) break;
    if (running > 0) curl_multi_poll(handles_->multi, nullptr, 0, kPollMs, nullptr);
  }
  int code = CURLE_ABORTED_BY_CALLBACK;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(handles_->multi, &left)) {
    if (msg->msg == CURLMSG_DONE) code = msg->data.result;
  }
  curl_multi_remove_handle(handles_->multi, e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (aborted_.load()) code = CURLE_ABORTED_BY_CALLBACK;
  return Classify(code, status);
}

// A transfer that did not complete: timeouts and network errors are retryable, certificate
// problems and everything else final.
AttemptResult CurlFailure(CURLcode code) {
  using Outcome = AttemptResult::Outcome;
  switch (code) {
    case CURLE_ABORTED_BY_CALLBACK:
      return AttemptResult::Failed(Outcome::kFinal, FailureKind::kCancelled, "cancelled");
    case CURLE_OPERATION_TIMEDOUT:
      return AttemptResult::Failed(Outcome::kRetryable, FailureKind::kTimeout,
                                   curl_easy_strerror(code));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return AttemptResult::Failed(Outcome::kFinal, FailureKind::kTls, curl_easy_strerror(code));
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return AttemptResult::Failed(Outcome::kRetryable, FailureKind::kConnection,
                                   curl_easy_strerror(code));
    default:
      return AttemptResult::Failed(Outcome::kFinal, FailureKind::kConnection,
                                   curl_easy_strerror(code));
  }
}

AttemptResult HttpTransport::Classify(int curl_code, long status) {
  using Outcome = AttemptResult::Outcome;
  if (curl_code != CURLE_OK) return CurlFailure(static_cast<CURLcode>(curl_code));
  if (status >= 200 && status < 300) {
    AttemptResult ok;
    auto partial = content_type_.starts_with("application/json")
                       ? ParseJsonResponse(response_, signal_)
                       : ParseProtoResponse(response_);
    if (partial) ok.partial = std::move(*partial);
    return ok;
  }
  std::string detail = fmt::format("HTTP {}: {}", status, ErrorMessage(response_, content_type_));
  if (!IsRetryableHttpStatus(static_cast<int>(status))) {
    return AttemptResult::Failed(Outcome::kFinal, FailureKind::kRejected, std::move(detail));
  }
  auto r = AttemptResult::Failed(
      Outcome::kRetryable, status == 429 ? FailureKind::kThrottled : FailureKind::kUnavailable,
      std::move(detail));
  if (!retry_after_.empty()) {
    r.retry_after_ms = ParseRetryAfterMs(retry_after_, WallNanos() / 1'000'000);
  }
  return r;
}

}  // namespace dynobs::otlp
