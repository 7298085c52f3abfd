#include "dynobs/llm/frontend/frontend_service.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "dynobs/llm/frontend/openai_response.h"
#include "dynobs/llm/mocker/block_hash.h"
#include "dynobs/llm/mocker/tokenizer.h"
#include "dynobs/llm/protocol/engine_protocol.h"
#include "dynobs/llm/router/kv_selector.h"
#include "dynobs/logging/log.h"
#include "dynobs/runtime/request_plane/headers.h"
#include "dynobs/tracing/propagation.h"
#include "dynobs/tracing/span.h"

namespace dynobs::llm::frontend {
namespace {

constexpr const char* kTarget = "dynobs::frontend";
constinit tracing::SpanSite kHttpRequest("http-request", "request_span", logging::Level::kInfo,
                                         tracing::SpanKind::kServer);
// The router's spans (spec §8.2), children of the request's span.
constinit tracing::SpanSite kRouteRequest("router.route_request", "dynobs::router",
                                          logging::Level::kInfo, tracing::SpanKind::kInternal);
constinit tracing::SpanSite kKvRouteRequest("kv_router.route_request", "dynobs::router",
                                            logging::Level::kInfo, tracing::SpanKind::kInternal);
constinit tracing::SpanSite kKvBlockHashes("kv_router.compute_block_hashes", "dynobs::router",
                                           logging::Level::kInfo, tracing::SpanKind::kInternal);
constinit tracing::SpanSite kKvFindMatches("kv_router.find_matches", "dynobs::router",
                                           logging::Level::kInfo, tracing::SpanKind::kInternal);
constinit tracing::SpanSite kKvSelectWorker("kv_router.select_worker", "dynobs::router",
                                            logging::Level::kInfo, tracing::SpanKind::kInternal);

std::string_view RouterModeName(RouterMode mode) {
  switch (mode) {
    case RouterMode::kRoundRobin:
      return "round_robin";
    case RouterMode::kRandom:
      return "random";
    case RouterMode::kKv:
      return "kv";
  }
  return "";
}

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Milliseconds since `start`, to the microsecond (log fields).
double MillisSince(Clock::time_point start) { return std::round(SecondsSince(start) * 1e6) / 1e3; }

}  // namespace

StatusOr<RouterMode> ParseRouterMode(std::string_view text) {
  if (text == "round_robin") return RouterMode::kRoundRobin;
  if (text == "random") return RouterMode::kRandom;
  if (text == "kv") return RouterMode::kKv;
  return InvalidArgumentError(
      fmt::format("router mode \"{}\": expected round_robin, random or kv", text));
}

// One request from parse to the last byte of its answer. Shared by the HTTP responder, the
// body writer and the request-plane callbacks; every mutable member is guarded by mu_.
class FrontendService::Call : public std::enable_shared_from_this<FrontendService::Call> {
 public:
  Call(FrontendService& service, ApiEndpoint endpoint, const GenerationParams& params,
       uint32_t prompt_tokens, std::unique_ptr<FrontendMetrics::Request> metrics,
       std::shared_ptr<tracing::Span> span, http::Responder respond, std::string x_request_id)
      : service_(service),
        endpoint_(endpoint),
        stream_(params.stream),
        include_usage_(params.include_usage),
        meta_(NewResponseMeta(endpoint, params.model)),
        chunks_(endpoint, meta_, params.include_usage),
        metrics_(std::move(metrics)),
        span_(std::move(span)),
        respond_(std::move(respond)),
        x_request_id_(std::move(x_request_id)) {
    usage_.prompt_tokens = prompt_tokens;
    metrics_->SetInputTokens(prompt_tokens);
  }
  ~Call() { service_.inflight_.fetch_sub(1); }  // HandleGenerate counted it in
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // The worker chosen, and (kv mode, >= 0) the predicted hit rate, for the router families.
  // With the router queue on, the worker's `prefill_tokens` are booked until the first token.
  void Routed(uint64_t worker_id, double kv_hit_rate, uint32_t prefill_tokens) {
    std::lock_guard lock(mu_);
    worker_id_ = worker_id;
    kv_hit_rate_ = kv_hit_rate;
    if (service_.queue_ != nullptr) {
      prefill_tokens_ = prefill_tokens;
      service_.queue_->AddPrefill(worker_id, prefill_tokens);
    }
  }

  [[nodiscard]] tracing::Span& span() const { return *span_; }

  // Ends a request that could not be sent anywhere (no worker for its model now): an error
  // answer, streamed or not, since nothing has been sent yet.
  void Fail(const Status& status) {
    {
      std::lock_guard lock(mu_);
      ended_ = true;
    }
    const ApiErrorKind kind = ErrorKindFromStatus(status.code());
    if (kind == ApiErrorKind::kOverload) metrics_->OnRejected();
    metrics_->Finish(kind);
    LogCompleted(kind, status);
    http::Response r = http::Response::Json(HttpStatus(kind, service_.options_.overload_status),
                                            ErrorBody(ApiError::FromStatus(status)));
    AddRequestIdHeader(r);
    Answered(r.status);
    span_->SetStatus(tracing::StatusCode::kError, status.message());
    span_->End();
    respond_(std::move(r));
  }

  // Starts the backend stream (streamed answers: once the head is out and the writer exists).
  void Start(const std::string& address, std::string engine_request) {
    if (!stream_) {
      Send(address, std::move(engine_request));
      return;
    }
    auto self = shared_from_this();
    http::Response head{
        .status = 200,
        .headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}}};
    AddRequestIdHeader(head);
    head.stream = [self, address, engine_request = std::move(engine_request)](
                      std::shared_ptr<http::BodyWriter> writer) mutable {
      {
        std::lock_guard lock(self->mu_);
        self->writer_ = writer;
        std::string start;
        if (self->endpoint_ == ApiEndpoint::kChatCompletions) self->chunks_.AppendStart(start);
        if (!start.empty()) writer->Write(std::move(start));
      }
      writer->OnClose([self] { self->ClientGone(); });
      self->Send(address, std::move(engine_request));
    };
    Answered(200);
    respond_(std::move(head));
  }

 private:
  void Send(const std::string& address, std::string engine_request) {
    runtime::RequestHeaders headers;
    if (!x_request_id_.empty()) headers.emplace_back("x-request-id", x_request_id_);
    runtime::AddTraceHeaders(span_->context(), &headers);
    auto self = shared_from_this();
    auto handle = service_.client_->Generate(
        address, service_.options_.generate.endpoint, std::move(headers), std::move(engine_request),
        {.on_item = [self](std::string item) { self->OnItem(item); },
         .on_end = [self](Status end) { self->OnEnd(std::move(end)); }});
    std::shared_ptr<runtime::StreamHandle> shared(std::move(handle));
    {
      std::lock_guard lock(mu_);
      if (ended_) return;  // already over: the handle goes with this scope, outside callbacks
      handle_ = shared;
      if (!client_gone_) return;
    }
    shared->Cancel();
  }

  // The booked prefill of a request, given back to the router queue once out of the call's lock
  // (giving it back may dispatch waiting requests on this thread).
  class PrefillRelease {
   public:
    PrefillRelease() = default;
    PrefillRelease(const PrefillRelease&) = delete;
    PrefillRelease& operator=(const PrefillRelease&) = delete;
    ~PrefillRelease() {
      if (queue_ != nullptr) queue_->Release(worker_, tokens_);
    }
    void Arm(RouterQueue* queue, uint64_t worker, uint32_t tokens) {
      queue_ = queue;
      worker_ = worker;
      tokens_ = tokens;
    }

   private:
    RouterQueue* queue_ = nullptr;
    uint64_t worker_ = 0;
    uint32_t tokens_ = 0;
  };

  // Under mu_: arms `release` with the booked prefill, once (first token or end).
  void TakePrefillLocked(PrefillRelease& release) {
    if (service_.queue_ == nullptr || std::exchange(prefill_released_, true)) return;
    release.Arm(service_.queue_.get(), worker_id_, prefill_tokens_);
  }

  void OnItem(const std::string& item) {
    auto out = EngineOutput::FromJson(item);
    if (!out.ok()) return;
    PrefillRelease release;  // declared before the lock: runs after it is released
    std::lock_guard lock(mu_);
    if (out->cached_tokens) {
      usage_.cached_tokens = *out->cached_tokens;
      metrics_->ObserveCachedTokens(*out->cached_tokens);
    }
    const auto n = static_cast<uint32_t>(out->token_ids.size());
    const bool first_tokens = usage_.completion_tokens == 0 && n > 0;
    metrics_->OnTokens(n);
    if (first_tokens) {
      service_.router_metrics_->SetWorkerTtft(worker_id_, metrics_->ttft_seconds(),
                                              usage_.prompt_tokens);
      TakePrefillLocked(release);
    }
    usage_.completion_tokens += n;
    if (!out->finish_reason.empty()) finish_reason_ = out->finish_reason;
    if (!stream_) {
      text_ += out->text;
      return;
    }
    held_ += out->text;
    const size_t complete = Utf8CompleteLength(held_);
    if (complete == 0 || writer_ == nullptr) return;
    std::string chunk;
    chunks_.AppendDelta(chunk, std::string_view(held_).substr(0, complete));
    held_.erase(0, complete);
    writer_->Write(std::move(chunk));
  }

  void OnEnd(Status end) {
    PrefillRelease release;  // declared before the lock: runs after it is released
    std::unique_lock lock(mu_);
    if (std::exchange(ended_, true)) return;
    TakePrefillLocked(release);
    std::optional<ApiErrorKind> error;
    if (!end.ok())
      error = client_gone_ ? ApiErrorKind::kCancelled : ErrorKindFromStatus(end.code());
    if (client_gone_) metrics_->OnClientDisconnected();
    if (error == ApiErrorKind::kOverload) metrics_->OnRejected();
    metrics_->Finish(error);
    if (usage_.completion_tokens > 1) {
      service_.router_metrics_->SetWorkerItl(worker_id_, metrics_->avg_itl_seconds());
    }
    if (!error && kv_hit_rate_ >= 0) {
      service_.router_metrics_->ObserveKvRequest(usage_.prompt_tokens, usage_.completion_tokens,
                                                 metrics_->ttft_seconds(),
                                                 metrics_->avg_itl_seconds(), kv_hit_rate_);
    }
    span_->SetAttribute("input_tokens", static_cast<int64_t>(usage_.prompt_tokens));
    span_->SetAttribute("output_tokens", static_cast<int64_t>(usage_.completion_tokens));
    span_->SetAttribute("ttft_ms", fmt::format("{:.2f}", metrics_->ttft_seconds() * 1000));
    span_->SetAttribute("avg_itl_ms", fmt::format("{:.2f}", metrics_->avg_itl_seconds() * 1000));
    LogCompleted(error, end);
    if (stream_) {
      if (writer_ != nullptr) {
        std::string tail;
        if (!error) {
          if (!held_.empty()) chunks_.AppendDelta(tail, held_);
          chunks_.AppendFinish(tail, finish_reason_.empty() ? "stop" : finish_reason_);
          if (include_usage_) chunks_.AppendUsage(tail, usage_);
        } else {
          // Mid-stream failure: an error event, as OpenAI's API sends one, then the end.
          tail = "data: " + ErrorBody(ApiError::FromStatus(end)) + "\n\n";
        }
        StreamChunkWriter::AppendDone(tail);
        writer_->Write(std::move(tail));
        writer_->End();
        writer_.reset();  // its OnClose callback holds this call: no cycle left behind
      }
      span_->End();
      Release();
      return;
    }
    http::Response r =
        error ? http::Response::Json(HttpStatus(*error, service_.options_.overload_status),
                                     ErrorBody(ApiError::FromStatus(end)))
              : http::Response::Json(200,
                                     endpoint_ == ApiEndpoint::kChatCompletions
                                         ? ChatCompletionBody(meta_, text_, finish_reason_, usage_)
                                         : CompletionBody(meta_, text_, finish_reason_, usage_));
    AddRequestIdHeader(r);
    Answered(r.status);
    span_->End();
    Release();
    lock.unlock();
    respond_(std::move(r));
  }

  void ClientGone() {
    std::shared_ptr<runtime::StreamHandle> handle;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      client_gone_ = true;
      handle = handle_;  // null: Send cancels it when it arrives
    }
    if (handle != nullptr) handle->Cancel();  // runs on_end on this thread: not under the lock
  }

  // The stream handle is released on the loop, never inside its own callback.
  void Release() {
    if (handle_ == nullptr) return;
    service_.loop_.Post([handle = std::move(handle_)] {});
  }

  void Answered(int status) {
    // Spec §5.2: ERROR for 4xx/5xx, INFO otherwise.
    if (status >= 400) {
      DYNOBS_LOG(kError, kTarget, "http response sent", {"status", std::to_string(status)},
                 {"latency_ms", MillisSince(start_)});
    } else {
      DYNOBS_LOG(kInfo, kTarget, "http response sent", {"status", std::to_string(status)},
                 {"latency_ms", MillisSince(start_)});
    }
  }

  void LogCompleted(const std::optional<ApiErrorKind>& error, const Status& end) {
    tracing::SpanScope scope(*span_);  // the line carries the request's trace context
    if (!error) {
      DYNOBS_LOG(kInfo, kTarget, "request completed", {"request_id", span_->context().request_id()},
                 {"model", meta_.model}, {"endpoint", EndpointLabel(endpoint_)},
                 {"request_type", stream_ ? "stream" : "unary"}, {"status", "success"},
                 {"elapsed_ms", MillisSince(start_)});
      return;
    }
    DYNOBS_LOG(kError, kTarget, "request completed", {"request_id", span_->context().request_id()},
               {"model", meta_.model}, {"endpoint", EndpointLabel(endpoint_)},
               {"request_type", stream_ ? "stream" : "unary"}, {"status", "error"},
               {"elapsed_ms", MillisSince(start_)}, {"error_type", ErrorTypeLabel(*error)},
               {"error_detail", ErrorDetail(*error)}, {"error", end.message()});
  }

  void AddRequestIdHeader(http::Response& r) const {
    if (!x_request_id_.empty()) r.headers.push_back({"x-request-id", x_request_id_});
  }

  FrontendService& service_;
  const ApiEndpoint endpoint_;
  const bool stream_;
  const bool include_usage_;
  const ResponseMeta meta_;
  const StreamChunkWriter chunks_;
  const Clock::time_point start_ = Clock::now();
  std::mutex mu_;
  std::unique_ptr<FrontendMetrics::Request> metrics_;
  std::shared_ptr<tracing::Span> span_;
  http::Responder respond_;
  const std::string x_request_id_;
  std::shared_ptr<http::BodyWriter> writer_;
  std::shared_ptr<runtime::StreamHandle> handle_;
  bool ended_ = false;
  bool client_gone_ = false;
  Usage usage_;
  std::string text_;  // unary: the answer so far
  std::string held_;  // stream: text not yet sent (an incomplete UTF-8 sequence)
  std::string finish_reason_;
  uint64_t worker_id_ = 0;
  double kv_hit_rate_ = -1;
  uint32_t prefill_tokens_ = 0;    // booked with the router queue
  bool prefill_released_ = false;  // given back (first token or end)
};

StatusOr<std::unique_ptr<FrontendService>> FrontendService::Create(
    http::EventLoop& loop, runtime::Discovery& discovery,
    const std::shared_ptr<metrics::Registry>& registry,
    const metrics::MetricsScope& router_component, const FrontendBuckets& buckets,
    FrontendOptions options) {
  std::unique_ptr<FrontendService> s(new FrontendService(loop, std::move(options)));
  auto m = FrontendMetrics::Create(*registry, buckets);
  if (!m.ok()) return m.status();
  s->metrics_ = std::move(*m);
  auto router_metrics = RouterMetrics::Create(router_component, *registry, s->options_.router_id);
  if (!router_metrics.ok()) return router_metrics.status();
  s->router_metrics_ = std::move(*router_metrics);
  auto plane_metrics = runtime::RequestPlaneMetrics::Create(registry);
  if (!plane_metrics.ok()) return plane_metrics.status();
  s->client_ = std::make_unique<runtime::RequestPlaneClient>(
      loop,
      runtime::RequestPlaneClientOptions{.inactivity_timeout = s->options_.backend_stream_timeout,
                                         .metrics = *plane_metrics});
  if (s->options_.router_mode == RouterMode::kKv) {
    auto indexer = KvIndexer::Create(router_component);
    if (!indexer.ok()) return indexer.status();
    s->indexer_ = std::move(*indexer);
    auto feed = WorkerFeed::Create(discovery, *s->client_, loop, s->indexer_.get(),
                                   {.generate = s->options_.generate});
    if (!feed.ok()) return feed.status();
    s->feed_ = std::move(*feed);
  }
  auto workers = runtime::EndpointClient::Create(discovery, *s->client_, s->options_.generate);
  if (!workers.ok()) return workers.status();
  s->workers_ = std::move(*workers);
  FrontendService* raw = s.get();
  if (s->options_.router_queue_threshold) {
    if (s->options_.router_mode != RouterMode::kKv) {
      return InvalidArgumentError(
          "DYN_ROUTER_QUEUE_THRESHOLD needs --router-mode kv: the queue is the KV router's");
    }
    s->queue_ = std::make_unique<RouterQueue>(
        *s->options_.router_queue_threshold,
        [raw](const std::string& model) {
          std::vector<RouterQueue::Worker> out;
          for (const auto& i : raw->workers_->instances()) {
            if (i.model && i.model->name == model) {
              out.push_back({i.instance_id, i.model->max_num_batched_tokens});
            }
          }
          return out;
        },
        [raw](int64_t requests, int64_t isl) { raw->router_metrics_->SetQueue(requests, isl); });
  }
  s->workers_->OnInstancesChanged(
      [raw](const std::vector<runtime::Instance>& instances) { raw->OnInstances(instances); });
  s->OnInstances(s->workers_->instances());
  return s;
}

FrontendService::FrontendService(http::EventLoop& loop, FrontendOptions options)
    : loop_(loop), options_(std::move(options)) {}

FrontendService::~FrontendService() {
  feed_.reset();
  workers_.reset();  // no more instance notifications (they pump the queue)
  queue_.reset();    // requests still waiting are dropped (their connections close)
}

void FrontendService::OnInstances(const std::vector<runtime::Instance>& instances) {
  {
    std::lock_guard lock(mu_);
    for (const auto& i : instances) {
      // Dynamo sets the config gauges when a model appears, from its first instance.
      if (i.model && models_seen_.insert(i.model->name).second) metrics_->SetModelConfig(*i.model);
    }
  }
  // New workers take waiting requests; a worker gone is no longer waited for. (The endpoint
  // client notifies outside its lock, so the dispatches may route from here.)
  if (queue_ != nullptr) queue_->Pump();
}

std::vector<std::string> FrontendService::models() const {
  std::set<std::string> names;
  for (const auto& i : workers_->instances()) {
    if (i.model) names.insert(i.model->name);
  }
  return {names.begin(), names.end()};
}

void FrontendService::AddRoutes(http::Router& router) {
  router.Add("POST", options_.paths.chat, [this](http::Request&& r, http::Responder respond) {
    HandleGenerate(ApiEndpoint::kChatCompletions, std::move(r), std::move(respond));
  });
  router.Add("POST", options_.paths.completions,
             [this](http::Request&& r, http::Responder respond) {
               HandleGenerate(ApiEndpoint::kCompletions, std::move(r), std::move(respond));
             });
  router.Add("GET", options_.paths.models, [this](http::Request&& r, http::Responder respond) {
    HandleModels(std::move(r), std::move(respond));
  });
}

void FrontendService::HandleModels(http::Request&& request, http::Responder respond) {
  std::vector<ModelEntry> entries;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const std::string& m : models()) entries.push_back({.id = m, .created = now});
  http::Response r = http::Response::Json(200, ModelListBody(entries));
  if (auto id = request.HeaderValue("x-request-id"); !id.empty()) {
    r.headers.push_back({"x-request-id", std::string(id)});
  }
  respond(std::move(r));
}

StatusOr<FrontendService::Routed> FrontendService::Route(const std::string& model,
                                                         const std::vector<uint32_t>& tokens) {
  std::vector<runtime::Instance> candidates;
  for (auto& i : workers_->instances()) {
    if (i.model && i.model->name == model) candidates.push_back(std::move(i));
  }
  if (candidates.empty()) {
    return UnavailableError(fmt::format("no worker serves model {} now", model));
  }
  if (options_.router_mode != RouterMode::kKv) {
    tracing::Span span(kRouteRequest);
    size_t index = 0;
    if (options_.router_mode == RouterMode::kRoundRobin) {
      index = next_.fetch_add(1, std::memory_order_relaxed) % candidates.size();
    } else {
      std::lock_guard lock(mu_);
      index = std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_);
    }
    span.SetAttribute("request_id", span.context().request_id());
    span.SetAttribute("worker_id", candidates[index].instance_id);
    span.SetAttribute("router_mode", RouterModeName(options_.router_mode));
    return Routed{.instance = std::move(candidates[index])};
  }
  tracing::Span route_span(kKvRouteRequest);
  tracing::SpanScope route_scope(route_span);
  const Clock::time_point start = Clock::now();
  auto ms_since_start = [&] { return SecondsSince(start) * 1000; };
  const uint32_t block_size = std::max<uint32_t>(1, candidates.front().model->kv_block_size);
  std::optional<tracing::Span> step(std::in_place, kKvBlockHashes);
  const std::vector<uint64_t> hashes = mocker::ComputeBlockHashes(tokens, block_size);
  const double hashed_ms = ms_since_start();  // chained: the sequence hashes are these
  std::vector<uint64_t> ids;
  for (const auto& c : candidates) ids.push_back(c.instance_id);
  step.emplace(kKvFindMatches);
  const auto overlaps = indexer_->Overlaps(hashes);
  const double found_ms = ms_since_start();
  step.emplace(kKvSelectWorker);
  auto loads = feed_->loads();
  router_metrics_->SetWorkerLoads(loads);  // refreshed as requests are routed
  if (queue_ != nullptr) {
    // The router's own booking is newer than the workers' last reports.
    for (uint64_t id : ids) {
      uint64_t& prefill = loads[id].active_prefill_tokens;
      prefill = std::max(prefill, queue_->prefill_tokens(id));
    }
  }
  std::optional<KvChoice> choice;
  {
    std::lock_guard lock(mu_);
    choice = ChooseKvWorker(ids, overlaps, loads, static_cast<uint32_t>(hashes.size()), block_size,
                            1.0, rng_);
  }
  step.reset();
  router_metrics_->ObserveOverhead(hashed_ms, hashed_ms, found_ms, ms_since_start());
  route_span.SetAttribute("request_id", route_span.context().request_id());
  route_span.SetAttribute("dp_rank", int64_t{0});
  route_span.SetAttribute("phase", "Aggregated");
  for (auto& c : candidates) {
    if (choice && c.instance_id == choice->worker_id) {
      route_span.SetAttribute("worker_id", c.instance_id);
      route_span.SetAttribute("overlap_blocks", static_cast<int64_t>(choice->overlap_blocks));
      const uint64_t cached = uint64_t{choice->overlap_blocks} * block_size;
      return Routed{.instance = std::move(c),
                    .kv_hit_rate = hashes.empty() ? 0.0
                                                  : static_cast<double>(choice->overlap_blocks) /
                                                        static_cast<double>(hashes.size()),
                    .prefill_tokens = static_cast<uint32_t>(
                        tokens.size() - std::min<uint64_t>(tokens.size(), cached))};
    }
  }
  return Routed{.instance = std::move(candidates.front()),
                .kv_hit_rate = 0,
                .prefill_tokens = static_cast<uint32_t>(tokens.size())};
}

void FrontendService::HandleGenerate(ApiEndpoint endpoint, http::Request&& request,
                                     http::Responder respond) {
  const Clock::time_point start = Clock::now();
  auto span = std::make_shared<tracing::Span>(
      kHttpRequest, tracing::ExtractContext(tracing::LookupIn(request.headers)));
  span->SetAttribute("method", request.method);
  span->SetAttribute("uri", request.target);
  span->SetAttribute("version", "HTTP/1.1");
  tracing::SpanScope scope(*span);
  const std::string x_request_id(request.HeaderValue("x-request-id"));

  // A request that ends before reaching a worker: counted, logged, answered (with `status`, or
  // the kind's own).
  auto refuse = [&](const std::string& model, RequestType type, const ApiError& error,
                    int status = 0) {
    auto m = metrics_->StartRequest(model, endpoint, type);
    if (error.kind == ApiErrorKind::kOverload) m->OnRejected();
    m->Finish(error.kind);
    http::Response r = http::Response::Json(
        status != 0 ? status : HttpStatus(error.kind, options_.overload_status), ErrorBody(error));
    if (!x_request_id.empty()) r.headers.push_back({"x-request-id", x_request_id});
    span->SetAttribute("status", static_cast<int64_t>(r.status));
    span->SetStatus(tracing::StatusCode::kError, error.message);
    DYNOBS_LOG(kError, kTarget, "http response sent", {"status", std::to_string(r.status)},
               {"latency_ms", MillisSince(start)});
    span->End();
    respond(std::move(r));
  };

  GenerationParams params;
  std::string prompt;
  std::string param;
  const Clock::time_point template_start = Clock::now();
  if (endpoint == ApiEndpoint::kChatCompletions) {
    auto parsed = ParseChatCompletionRequest(request.body, options_.limits, &param);
    if (!parsed.ok()) {
      return refuse("", RequestType::kUnary,
                    {ApiErrorKind::kValidation, parsed.status().message(), param, ""});
    }
    params = std::move(parsed->params);
    prompt = ApplyChatTemplate(parsed->messages);
    metrics_->ObserveTemplate(SecondsSince(template_start));
  } else {
    auto parsed = ParseCompletionRequest(request.body, options_.limits, &param);
    if (!parsed.ok()) {
      return refuse("", RequestType::kUnary,
                    {ApiErrorKind::kValidation, parsed.status().message(), param, ""});
    }
    params = std::move(parsed->params);
    prompt = std::move(parsed->prompt);
  }
  const RequestType type = params.stream ? RequestType::kStream : RequestType::kUnary;
  span->SetAttribute("model", params.model);
  const std::vector<std::string> served = models();
  if (!std::binary_search(served.begin(), served.end(), params.model)) {
    return refuse(params.model, type, ApiError::ModelNotFound(params.model));
  }
  if (draining_.load()) {  // 503 whatever the overload status: this is not load
    return refuse(params.model, type,
                  {ApiErrorKind::kOverload, "the frontend is shutting down", "", ""}, 503);
  }
  if (inflight_.fetch_add(1) >= options_.max_inflight) {
    inflight_.fetch_sub(1);
    return refuse(
        params.model, type,
        {ApiErrorKind::kOverload,
         fmt::format("too many requests in flight (limit {})", options_.max_inflight), "", ""});
  }
  // From here on the Call owns the inflight count.
  const Clock::time_point tokenize_start = Clock::now();
  std::vector<uint32_t> tokens = mocker::Tokenizer::Encode(prompt);
  metrics_->ObserveTokenize(SecondsSince(tokenize_start));
  metrics_->ObserveStage(FrontendMetrics::Stage::kPreprocess, SecondsSince(start));
  auto call = std::make_shared<Call>(*this, endpoint, params, static_cast<uint32_t>(tokens.size()),
                                     metrics_->StartRequest(params.model, endpoint, type), span,
                                     std::move(respond), x_request_id);
  DYNOBS_LOG(kInfo, kTarget, "request received", {"request_id", span->context().request_id()},
             {"model", params.model}, {"endpoint", EndpointLabel(endpoint)},
             {"request_type", params.stream ? "stream" : "unary"});
  const Clock::time_point route_start = Clock::now();
  if (queue_ == nullptr) {
    Dispatch(call, params, std::move(tokens), route_start);
    return;
  }
  const auto isl = static_cast<uint32_t>(tokens.size());
  const std::string model = params.model;
  queue_->Submit(
      model, isl,
      [this, call, params = std::move(params), tokens = std::move(tokens), route_start]() mutable {
        Dispatch(call, params, std::move(tokens), route_start);
      });
}

void FrontendService::Dispatch(const std::shared_ptr<Call>& call, const GenerationParams& params,
                               std::vector<uint32_t> tokens, Clock::time_point route_start) {
  tracing::SpanScope scope(call->span());  // the router's spans are the request's children
  auto routed = Route(params.model, tokens);
  // The route stage includes the time waiting in the router queue.
  metrics_->ObserveStage(FrontendMetrics::Stage::kRoute, SecondsSince(route_start));
  if (!routed.ok()) {
    call->Fail(routed.status());
    return;
  }
  EngineRequest engine_request;
  engine_request.token_ids = std::move(tokens);
  engine_request.model = params.model;
  engine_request.max_tokens = params.max_tokens.value_or(options_.default_max_tokens);
  engine_request.stop = params.stop;
  engine_request.temperature = params.temperature.value_or(1.0);
  call->Routed(routed->instance.instance_id, routed->kv_hit_rate, routed->prefill_tokens);
  call->Start(routed->instance.address, engine_request.ToJson());
}

}  // namespace dynobs::llm::frontend
