#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "dynobs/common/status.h"
#include "dynobs/http/event_loop.h"
#include "dynobs/llm/router/kv_indexer.h"
#include "dynobs/runtime/discovery/discovery.h"
#include "dynobs/runtime/request_plane/client.h"

namespace dynobs::llm {

// A worker's load as its `load_metrics` stream last reported it (spec §3.12 ActiveLoad).
struct WorkerLoad {
  uint64_t active_decode_blocks = 0;
  uint64_t active_prefill_tokens = 0;
  uint64_t kv_used_blocks = 0;
  uint64_t kv_total_blocks = 0;
  friend bool operator==(const WorkerLoad&, const WorkerLoad&) = default;
};

// What the router knows of the workers of one `generate` endpoint: it watches discovery, keeps a
// `load_metrics` subscription open to every instance, records each one's last load and feeds its
// KV events to the KvIndexer (when given). A subscription that ends while its worker is still
// listed is opened again after `resubscribe_delay`; a gap in a worker's event ids (events it
// could not deliver) clears that worker from the index, which then refills from new events.
// A worker that leaves discovery is forgotten at once (load and index).
//
// Thread safety: all methods may be called from any thread.
// Lifetime: the discovery, the client, the loop and the indexer outlive the feed.
class WorkerFeed {
 public:
  struct Options {
    runtime::EndpointPath generate;  // the endpoint whose instances are followed
    std::chrono::milliseconds resubscribe_delay{500};
  };

  static StatusOr<std::unique_ptr<WorkerFeed>> Create(runtime::Discovery& discovery,
                                                      runtime::RequestPlaneClient& client,
                                                      http::EventLoop& loop, KvIndexer* indexer,
                                                      Options options);
  ~WorkerFeed();
  WorkerFeed(const WorkerFeed&) = delete;
  WorkerFeed& operator=(const WorkerFeed&) = delete;

  // The last load of every listed worker (zeros until its first report).
  [[nodiscard]] std::map<uint64_t, WorkerLoad> loads() const;
  // Waits until `n` workers have reported a load at least once; false after `timeout`.
  [[nodiscard]] bool WaitForLoads(size_t n, std::chrono::milliseconds timeout) const;
  // Event-id gaps seen so far (events lost between a worker and this feed).
  [[nodiscard]] uint64_t event_gaps() const;

 private:
  class Core;
  explicit WorkerFeed(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
  std::unique_ptr<runtime::WatchHandle> watch_;
};

}  // namespace dynobs::llm
