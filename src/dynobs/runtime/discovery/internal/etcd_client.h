#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>
#include <boost/json/object.hpp>
#include <boost/json/stream_parser.hpp>

#include "dynobs/common/status.h"

namespace dynobs::runtime::discovery_internal {

// Calls to etcd's JSON gateway over HTTP (libcurl), with failover across endpoints: each call
// starts at the endpoint that answered last and tries the next ones on a transport failure.
// Proxies from the environment are not used.
//
// Thread safety: Call and Stream are made by one thread at a time (the owner's); Wake and
// Interrupt may be called from any thread.
class EtcdClient {
 public:
  static constexpr size_t kMaxResponseBytes = 16 * 1024 * 1024;
  static constexpr size_t kMaxStreamMessageBytes = 16 * 1024 * 1024;

  // `endpoints`: base URLs such as http://127.0.0.1:2379 (at least one).
  EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POSTs `body` to `path` (e.g. "/v3/kv/put") and returns the response object, within `timeout`
  // per endpoint. Unavailable when no endpoint answers; the gateway's own errors as NotFound
  // (gRPC code 5), Unavailable (14), DeadlineExceeded (4) or FailedPrecondition; Cancelled after
  // Interrupt; ResourceExhausted for a response over kMaxResponseBytes.
  [[nodiscard]] StatusOr<boost::json::object> Call(std::string_view path,
                                                   const boost::json::object& body);

  // POSTs `body` to a streaming `path` (/v3/watch) on the current endpoint and calls `on_message`
  // with each JSON object of the response, until the stream ends or fails (its Status), or
  // `on_message` or `keep_going` returns false (OK). `keep_going` runs at least every 250 ms
  // and after each Wake. A transport failure moves the next call to the next endpoint.
  [[nodiscard]] Status Stream(std::string_view path, const boost::json::object& body,
                              const std::function<bool(const boost::json::object&)>& on_message,
                              const std::function<bool()>& keep_going);

  // Makes a blocked Stream call `keep_going` soon.
  void Wake();
  // Makes the running call and every later one end with Cancelled at once.
  void Interrupt();

 private:
  struct Transfer;
  Status Perform(Transfer& transfer, const std::function<bool()>& keep_going);
  [[nodiscard]] const std::string& Current() const { return endpoints_[current_]; }
  void Advance() { current_ = (current_ + 1) % endpoints_.size(); }

  struct MultiCleanup {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };

  const std::vector<std::string> endpoints_;
  const std::chrono::milliseconds timeout_;
  size_t current_ = 0;
  std::unique_ptr<CURLM, MultiCleanup> multi_;
  std::atomic<bool> interrupted_{false};
};

// Splits a byte stream into the JSON values it holds one after another (with or without
// whitespace between them), each bounded in size.
class JsonStreamSplitter {
 public:
  explicit JsonStreamSplitter(size_t max_value_bytes) : max_value_bytes_(max_value_bytes) {}

  // Feeds bytes; calls `on_value` for each complete object (other values are skipped) until it
  // returns false, which sets `stopped`. InvalidArgument for bytes that are not JSON,
  // ResourceExhausted for a value over the bound.
  [[nodiscard]] Status Feed(std::string_view bytes,
                            const std::function<bool(const boost::json::object&)>& on_value,
                            bool& stopped);

 private:
  const size_t max_value_bytes_;
  boost::json::stream_parser parser_;
  size_t value_bytes_ = 0;  // of the value being parsed; 0 between values
};

}  // namespace dynobs::runtime::discovery_internal
