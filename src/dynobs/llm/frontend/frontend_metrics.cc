#include "dynobs/llm/frontend/frontend_metrics.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "dynobs/metrics/create.h"

namespace dynobs::llm::frontend {
namespace {

StatusOr<metrics::LogBucketSpec> LoadSpec(const env::Reader& env, std::string_view prefix,
                                          metrics::LogBucketSpec spec) {
  auto read = [&](std::string_view part, auto reader) -> Status {
    const std::string documented = fmt::format("{}_{}", prefix, part);
    const std::string effective = fmt::format("DYN_HISTOGRAM_{}_{}", prefix, part);
    for (const std::string& name : {effective, documented}) {  // the documented one wins
      if (Status s = reader(name); !s.ok()) return s;
    }
    return Status::Ok();
  };
  auto real = [&](double* out) {
    return [&env, out](const std::string& name) -> Status {
      auto v = env.Double(name, 1e-12, 1e12);
      if (!v.ok()) return v.status();
      if (*v) *out = **v;
      return Status::Ok();
    };
  };
  if (Status s = read("MIN", real(&spec.min)); !s.ok()) return s;
  if (Status s = read("MAX", real(&spec.max)); !s.ok()) return s;
  Status count = read("COUNT", [&](const std::string& name) -> Status {
    auto v = env.Int(name, 1, 512);
    if (!v.ok()) return v.status();
    if (*v) spec.count = static_cast<size_t>(**v);
    return Status::Ok();
  });
  if (!count.ok()) return count;
  if (!metrics::IsValidLogBucketSpec(spec)) {
    return InvalidArgumentError(fmt::format(
        "invalid {}_MIN/_MAX/_COUNT: min {} max {} count {}: expected 0 < min < max and count "
        "1..512",
        prefix, spec.min, spec.max, spec.count));
  }
  return spec;
}

constexpr std::string_view kStageNames[] = {"preprocess", "route", "transport_roundtrip"};

}  // namespace

StatusOr<FrontendBuckets> LoadFrontendBuckets(const env::Reader& env) {
  FrontendBuckets b;
  struct Item {
    std::string_view prefix;
    metrics::LogBucketSpec* spec;
  };
  for (const Item& item : {Item{"DYN_METRICS_REQUEST_DURATION", &b.request_duration},
                           Item{"DYN_METRICS_INPUT_SEQUENCE", &b.input_sequence},
                           Item{"DYN_METRICS_OUTPUT_SEQUENCE", &b.output_sequence},
                           Item{"DYN_METRICS_TTFT", &b.ttft}, Item{"DYN_METRICS_ITL", &b.itl}}) {
    auto spec = LoadSpec(env, item.prefix, *item.spec);
    if (!spec.ok()) return spec.status();
    *item.spec = *spec;
  }
  return b;
}

std::string_view RequestTypeLabel(RequestType type) {
  return type == RequestType::kStream ? "stream" : "unary";
}

StatusOr<std::unique_ptr<FrontendMetrics>> FrontendMetrics::Create(metrics::Registry& r,
                                                                   const FrontendBuckets& b) {
  std::unique_ptr<FrontendMetrics> m(new FrontendMetrics());
  auto spec = [](std::string_view name, std::string_view help, std::vector<std::string> labels = {},
                 std::vector<double> buckets = {}) {
    return metrics::MetricSpec{.name = fmt::format("dynamo_frontend_{}", name),
                               .help = std::string(help),
                               .label_names = std::move(labels),
                               .buckets = std::move(buckets)};
  };
  const std::vector<std::string> model = {"model"};
  const auto isl = metrics::LogBuckets(b.input_sequence);
  for (const Status& s : {
           metrics::AssignCreated(
               r.CreateIntCounterVec(
                   spec("requests_total", "Total number of LLM requests processed",
                        {"model", "endpoint", "request_type", "status", "error_type"})),
               &m->requests_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("inflight_requests",
                                        "Number of inflight requests (deprecated: active_requests)",
                                        model)),
               &m->inflight_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("active_requests", "Number of active requests", model)),
               &m->active_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("queued_requests",
                                        "Number of requests waiting for their first token", model)),
               &m->queued_),
           metrics::AssignCreated(
               r.CreateIntGauge(spec("disconnected_clients", "Number of disconnected clients")),
               &m->disconnected_),
           metrics::AssignCreated(
               r.CreateHistogramVec(spec("request_duration_seconds", "Duration of LLM requests",
                                         model, metrics::LogBuckets(b.request_duration))),
               &m->duration_),
           metrics::AssignCreated(
               r.CreateHistogramVec(
                   spec("input_sequence_tokens", "Input sequence length in tokens", model, isl)),
               &m->isl_),
           metrics::AssignCreated(r.CreateHistogramVec(spec(
                                      "output_sequence_tokens", "Output sequence length in tokens",
                                      model, metrics::LogBuckets(b.output_sequence))),
                                  &m->osl_),
           metrics::AssignCreated(
               r.CreateHistogramVec(
                   spec("cached_tokens", "Number of cached (prefix-hit) tokens", model, isl)),
               &m->cached_),
           metrics::AssignCreated(
               r.CreateIntCounterVec(
                   spec("output_tokens_total", "Total number of output tokens generated", model)),
               &m->output_tokens_),
           metrics::AssignCreated(r.CreateHistogramVec(spec("time_to_first_token_seconds",
                                                            "Time to first token in seconds", model,
                                                            metrics::LogBuckets(b.ttft))),
                                  &m->ttft_),
           metrics::AssignCreated(r.CreateHistogramVec(spec("inter_token_latency_seconds",
                                                            "Inter-token latency in seconds", model,
                                                            metrics::LogBuckets(b.itl))),
                                  &m->itl_),
           metrics::AssignCreated(r.CreateHistogramVec(spec(
                                      "tokenizer_latency_ms", "Tokenizer latency in milliseconds",
                                      {"operation"}, {0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512})),
                                  &m->tokenizer_ms_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("model_total_kv_blocks",
                                        "Total KV cache blocks of the model's workers", model)),
               &m->model_total_kv_blocks_),
           metrics::AssignCreated(r.CreateIntGaugeVec(spec("model_max_num_seqs",
                                                           "Maximum number of sequences", model)),
                                  &m->model_max_num_seqs_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(
                   spec("model_max_num_batched_tokens", "Maximum number of batched tokens", model)),
               &m->model_max_batched_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("model_context_length", "Maximum context length", model)),
               &m->model_context_length_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("model_kv_cache_block_size", "KV cache block size", model)),
               &m->model_block_size_),
           metrics::AssignCreated(
               r.CreateIntGaugeVec(spec("model_migration_limit", "Request migration limit", model)),
               &m->model_migration_limit_),
           metrics::AssignCreated(r.CreateIntCounterVec(spec("model_migration_total",
                                                             "Total number of request migrations",
                                                             {"model", "migration_type"})),
                                  &m->migration_),
           metrics::AssignCreated(
               r.CreateIntCounterVec(
                   spec("model_migration_max_seq_len_exceeded_total",
                        "Migrations disabled because the sequence exceeded max_seq_len", model)),
               &m->migration_exceeded_),
           metrics::AssignCreated(
               r.CreateIntCounterVec(spec("model_cancellation_total",
                                          "Total number of requests cancelled by the client",
                                          {"model", "endpoint", "request_type"})),
               &m->cancellation_),
           metrics::AssignCreated(
               r.CreateIntCounterVec(spec("model_rejection_total",
                                          "Total number of requests rejected as overload",
                                          {"model", "endpoint"})),
               &m->rejection_),
           metrics::AssignCreated(
               r.CreateHistogramVec(
                   spec("stage_duration_seconds", "Duration of frontend pipeline stages", {"stage"},
                        {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5})),
               &m->stage_duration_),
           metrics::AssignCreated(
               r.CreateHistogram(spec("tokenize_seconds", "Time spent tokenizing a request", {},
                                      {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1})),
               &m->tokenize_),
           metrics::AssignCreated(
               r.CreateHistogram(
                   spec("template_seconds", "Time spent applying the chat template", {},
                        {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05})),
               &m->template_),
           metrics::AssignCreated(
               r.CreateCounter(
                   spec("detokenize_total_us", "Cumulative detokenization time in microseconds")),
               &m->detokenize_us_),
           metrics::AssignCreated(
               r.CreateCounter(spec("detokenize_token_count", "Tokens detokenized")),
               &m->detokenize_count_),
           metrics::AssignCreated(
               r.CreateHistogram(spec("event_loop_delay_seconds",
                                      "Delay of a 10 ms timer on the frontend's event loop", {},
                                      {0, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1})),
               &m->loop_delay_),
           metrics::AssignCreated(
               r.CreateCounter(spec("event_loop_stall_total", "Event-loop delays over 5 ms")),
               &m->loop_stall_),
       }) {
    if (!s.ok()) return s;
  }
  return m;
}

std::string FrontendMetrics::Lower(std::string_view model) {
  std::string out(model);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::unique_ptr<FrontendMetrics::Request> FrontendMetrics::StartRequest(std::string_view model,
                                                                        ApiEndpoint endpoint,
                                                                        RequestType type) const {
  return std::unique_ptr<Request>(new Request(*this, Lower(model), endpoint, type));
}

FrontendMetrics::Request::Request(const FrontendMetrics& m, std::string model, ApiEndpoint endpoint,
                                  RequestType type)
    : m_(m),
      model_(std::move(model)),
      endpoint_(endpoint),
      type_(type),
      start_(std::chrono::steady_clock::now()),
      last_chunk_(start_),
      inflight_(m.inflight_.WithLabelValuesOrDetached({model_})),
      active_(m.active_.WithLabelValuesOrDetached({model_})),
      queued_(m.queued_.WithLabelValuesOrDetached({model_})) {
  inflight_.Inc();
  active_.Inc();
  queued_.Inc();
}

FrontendMetrics::Request::~Request() { Finish(ApiErrorKind::kInternal); }

void FrontendMetrics::Request::LeaveQueue() {
  if (!queued_now_) return;
  queued_now_ = false;
  queued_.Dec();
}

void FrontendMetrics::Request::ObserveCachedTokens(uint32_t tokens) {
  if (std::exchange(cached_observed_, true)) return;
  m_.cached_.WithLabelValuesOrDetached({model_}).Observe(tokens);
}

void FrontendMetrics::Request::OnTokens(uint32_t tokens,
                                        std::chrono::steady_clock::time_point now) {
  if (tokens == 0 || finished_) return;
  // The model's series, looked up at the first token and kept for the others (one lookup per
  // request instead of one per token; series still appear with the first token, as Dynamo's).
  if (output_tokens_ == 0) output_counter_ = m_.output_tokens_.WithLabelValuesOrDetached({model_});
  output_counter_.Inc(tokens);
  const double since_last = std::chrono::duration<double>(now - last_chunk_).count();
  last_chunk_ = now;
  if (output_tokens_ == 0) {
    ttft_seconds_ = std::chrono::duration<double>(now - start_).count();
    m_.ttft_.WithLabelValuesOrDetached({model_}).Observe(ttft_seconds_);
    m_.isl_.WithLabelValuesOrDetached({model_}).Observe(input_tokens_);
    LeaveQueue();
  } else {
    if (later_tokens_ == 0) itl_ = m_.itl_.WithLabelValuesOrDetached({model_});
    // Dynamo: (time since the previous chunk) / n, observed n times.
    const double each = since_last / tokens;
    for (uint32_t i = 0; i < tokens; ++i) itl_.Observe(each);
    later_tokens_ += tokens;
    itl_total_seconds_ += since_last;
  }
  output_tokens_ += tokens;
}

double FrontendMetrics::Request::avg_itl_seconds() const {
  return later_tokens_ == 0 ? 0 : itl_total_seconds_ / later_tokens_;
}

void FrontendMetrics::Request::OnClientDisconnected() {
  m_.disconnected_.Inc();
  m_.cancellation_
      .WithLabelValuesOrDetached({model_, EndpointLabel(endpoint_), RequestTypeLabel(type_)})
      .Inc();
}

void FrontendMetrics::Request::OnRejected() {
  m_.rejection_.WithLabelValuesOrDetached({model_, EndpointLabel(endpoint_)}).Inc();
}

void FrontendMetrics::Request::Finish(std::optional<ApiErrorKind> error) {
  if (std::exchange(finished_, true)) return;
  m_.requests_
      .WithLabelValuesOrDetached({model_, EndpointLabel(endpoint_), RequestTypeLabel(type_),
                                  error ? "error" : "success", error ? ErrorTypeLabel(*error) : ""})
      .Inc();
  inflight_.Dec();
  active_.Dec();
  LeaveQueue();
  m_.duration_.WithLabelValuesOrDetached({model_}).Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  if (output_tokens_ > 0) m_.osl_.WithLabelValuesOrDetached({model_}).Observe(output_tokens_);
}

void FrontendMetrics::SetModelConfig(const runtime::ModelInfo& model) const {
  const std::string_view name = model.name;
  model_total_kv_blocks_.WithLabelValuesOrDetached({name}).Set(
      static_cast<int64_t>(model.total_kv_blocks));
  model_max_num_seqs_.WithLabelValuesOrDetached({name}).Set(model.max_num_seqs);
  model_max_batched_.WithLabelValuesOrDetached({name}).Set(model.max_num_batched_tokens);
  model_context_length_.WithLabelValuesOrDetached({name}).Set(model.context_length);
  model_block_size_.WithLabelValuesOrDetached({name}).Set(model.kv_block_size);
  model_migration_limit_.WithLabelValuesOrDetached({name}).Set(model.migration_limit);
}

void FrontendMetrics::ObserveStage(Stage stage, double seconds) const {
  stage_duration_.WithLabelValuesOrDetached({kStageNames[static_cast<size_t>(stage)]})
      .Observe(seconds);
}

void FrontendMetrics::ObserveTokenize(double seconds) const {
  tokenize_.Observe(seconds);
  tokenizer_ms_.WithLabelValuesOrDetached({"tokenize"}).Observe(seconds * 1000);
}

void FrontendMetrics::ObserveTemplate(double seconds) const { template_.Observe(seconds); }

void FrontendMetrics::ObserveDetokenize(double microseconds, uint64_t tokens) const {
  detokenize_us_.Inc(microseconds);
  detokenize_count_.Inc(static_cast<double>(tokens));
  if (tokens > 0) {
    tokenizer_ms_.WithLabelValuesOrDetached({"detokenize"})
        .Observe(microseconds / 1000 / static_cast<double>(tokens));
  }
}

void FrontendMetrics::ObserveEventLoopDelay(double seconds) const {
  loop_delay_.Observe(seconds);
  if (seconds > 0.005) loop_stall_.Inc();
}

}  // namespace dynobs::llm::frontend
