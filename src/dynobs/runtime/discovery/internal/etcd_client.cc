#include "dynobs/runtime/discovery/internal/etcd_client.h"

#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "dynobs/runtime/discovery/internal/etcd_protocol.h"

namespace dynobs::runtime::discovery_internal {
namespace {

namespace json = boost::json;

constexpr int kPollMillis = 250;

struct EasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct ListCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The gateway's error body: {"error":"...","code":N} (unary calls) or
// {"error":{"grpc_code":N,"message":"..."}} (streams).
Status GatewayError(const json::object& body, long http_status) {
  int64_t code = 0;
  std::string message = fmt::format("HTTP {}", http_status);
  const json::value* error = body.if_contains("error");
  if (error != nullptr && error->is_object()) {
    if (auto c = Int64Field(error->as_object(), "grpc_code"); c.ok()) code = *c;
    if (const json::value* m = error->as_object().if_contains("message"); m && m->is_string()) {
      message = std::string(m->as_string());
    }
  } else {
    if (auto c = Int64Field(body, "code"); c.ok()) code = *c;
    if (error != nullptr && error->is_string()) message = std::string(error->as_string());
  }
  message = "etcd: " + message;
  switch (code) {
    case 4:
      return {StatusCode::kDeadlineExceeded, message};
    case 5:
      return NotFoundError(message);
    case 14:
      return UnavailableError(message);
    default:
      return FailedPreconditionError(message);
  }
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct EtcdClient::Transfer {
  std::unique_ptr<CURL, EasyCleanup> easy;
  std::unique_ptr<curl_slist, ListCleanup> headers;
  std::string url;
  std::string body;
  std::string response;                        // Call
  std::optional<JsonStreamSplitter> splitter;  // Stream
  const std::function<bool(const json::object&)>* on_message = nullptr;
  Status stream_error;
  bool too_large = false;
  bool stopped = false;  // on_message or keep_going said stop

  static size_t OnWrite(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view bytes(data, size * count);
    if (!t->splitter) {
      if (t->response.size() + bytes.size() > kMaxResponseBytes) {
        t->too_large = true;
        return CURL_WRITEFUNC_ERROR;
      }
      t->response.append(bytes);
      return bytes.size();
    }
    t->stream_error = t->splitter->Feed(bytes, *t->on_message, t->stopped);
    return t->stream_error.ok() && !t->stopped ? bytes.size() : CURL_WRITEFUNC_ERROR;
  }
};

EtcdClient::EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), timeout_(timeout) {
  GlobalInit();
  multi_.reset(curl_multi_init());
}

EtcdClient::~EtcdClient() = default;

void EtcdClient::Wake() { curl_multi_wakeup(multi_.get()); }

void EtcdClient::Interrupt() {
  interrupted_.store(true);
  Wake();
}

Status EtcdClient::Perform(Transfer& t, const std::function<bool()>& keep_going) {
  CURL* easy = t.easy.get();
  t.headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_easy_setopt(easy, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_PROXY, "");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers.get());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t.body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(t.body.size()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 5L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 2L);
  curl_multi_add_handle(multi_.get(), easy);
  std::optional<CURLcode> result;
  while (!result && !interrupted_.load() && !t.stopped) {
    int running = 0;
    curl_multi_perform(multi_.get(), &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) result = msg->data.result;
    }
    if (result) break;
    curl_multi_poll(multi_.get(), nullptr, 0, kPollMillis, nullptr);
    if (keep_going && !keep_going()) t.stopped = true;
  }
  curl_multi_remove_handle(multi_.get(), easy);
  if (interrupted_.load()) return {StatusCode::kCancelled, "etcd client stopped"};
  if (t.stopped) return Status::Ok();
  if (t.too_large) return ResourceExhaustedError("etcd response larger than 16 MiB");
  if (!t.stream_error.ok()) return t.stream_error;
  if (*result != CURLE_OK) {
    return UnavailableError(fmt::format("{}: {}", t.url, curl_easy_strerror(*result)));
  }
  return Status::Ok();
}

StatusOr<json::object> EtcdClient::Call(std::string_view path, const json::object& body) {
  Status last;
  for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    Transfer t;
    t.easy.reset(curl_easy_init());
    t.url = Current() + std::string(path);
    t.body = json::serialize(body);
    curl_easy_setopt(t.easy.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    last = Perform(t, nullptr);
    if (last.code() == StatusCode::kUnavailable) {
      Advance();
      continue;
    }
    if (!last.ok()) return last;
    long http_status = 0;
    curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &http_status);
    boost::system::error_code ec;
    json::value v = json::parse(t.response, ec);
    if (ec || !v.is_object()) {
      return FailedPreconditionError(
          fmt::format("{}: HTTP {}, not a JSON object", t.url, http_status));
    }
    if (http_status == 200 && !v.as_object().contains("error")) return std::move(v.as_object());
    last = GatewayError(v.as_object(), http_status);
    if (last.code() != StatusCode::kUnavailable) return last;
    Advance();
  }
  return last;
}

Status EtcdClient::Stream(std::string_view path, const json::object& body,
                          const std::function<bool(const json::object&)>& on_message,
                          const std::function<bool()>& keep_going) {
  Transfer t;
  t.easy.reset(curl_easy_init());
  t.url = Current() + std::string(path);
  t.body = json::serialize(body);
  t.splitter.emplace(kMaxStreamMessageBytes);
  t.on_message = &on_message;
  Status s = Perform(t, keep_going);
  long http_status = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &http_status);
  if (s.code() == StatusCode::kUnavailable) Advance();
  if (s.ok() && !t.stopped) {
    return UnavailableError(fmt::format("{}: stream ended (HTTP {})", t.url, http_status));
  }
  return s;
}

Status JsonStreamSplitter::Feed(std::string_view bytes,
                                const std::function<bool(const json::object&)>& on_value,
                                bool& stopped) {
  while (!bytes.empty() && !stopped) {
    if (value_bytes_ == 0) {
      size_t start = bytes.find_first_not_of(" \t\r\n");
      if (start == std::string_view::npos) return Status::Ok();
      bytes.remove_prefix(start);
    }
    boost::system::error_code ec;
    size_t n = parser_.write_some(bytes.data(), bytes.size(), ec);
    if (ec) return InvalidArgumentError("etcd stream: not JSON (" + ec.message() + ")");
    value_bytes_ += n;
    bytes.remove_prefix(n);
    if (value_bytes_ > max_value_bytes_) {
      return ResourceExhaustedError("etcd stream: a message larger than the limit");
    }
    if (!parser_.done()) continue;
    json::value v = parser_.release();
    parser_.reset();
    value_bytes_ = 0;
    if (v.is_object() && !on_value(v.as_object())) stopped = true;
  }
  return Status::Ok();
}

}  // namespace dynobs::runtime::discovery_internal
