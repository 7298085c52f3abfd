#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dynobs/metrics/internal/cell_space.h"
#include "dynobs/metrics/registry.h"

namespace dynobs::metrics {

namespace internal {
struct ScrapeItem {
  const Series* series;
  const Family* family;
};
struct ScrapeGroup {  // one family name: items_[begin, end)
  const Family* first;
  size_t begin;
  size_t end;
};
}  // namespace internal

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

// `text/plain; version=0.0.4; charset=utf-8` or
// `application/openmetrics-text; version=1.0.0; charset=utf-8`.
[[nodiscard]] std::string_view ContentType(ExpositionFormat format);

// Picks the format from an HTTP Accept header: OpenMetrics when the client ranks
// application/openmetrics-text above text/plain (Prometheus's scraper does), text otherwise.
[[nodiscard]] ExpositionFormat NegotiateFormat(std::string_view accept);

// True when an Accept-Encoding header accepts gzip (q > 0).
[[nodiscard]] bool AcceptsGzip(std::string_view accept_encoding);

struct Exposition {
  std::string body;
  // What was rendered. Text appended by exposition callbacks is Prometheus text, so a scrape
  // that has any is rendered as Prometheus text even when OpenMetrics was asked for.
  ExpositionFormat format = ExpositionFormat::kPrometheusText;
};

// Renders a registry tree the way Dynamo's prometheus_expfmt_combined() does (spec §2.5):
// registries collected depth-first from the root (each once); their update callbacks run; families
// merged by name and sorted; series within a family sorted by labels; an exact duplicate series
// from a later registry dropped with one WARN; then the text of the exposition callbacks.
// OpenMetrics 1.0 differs only where that format requires (counter families named without
// `_total`, `# EOF`); a counter whose name does not end in `_total` is exposed there as `unknown`
// so that its series keeps its Dynamo name.
//
// A Scraper keeps its buffers between scrapes; use one per rendering thread.
class Scraper {
 public:
  Scraper() = default;
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;

  [[nodiscard]] Exposition Scrape(const Registry& root, ExpositionFormat format);

 private:
  void CollectGroups(const std::vector<const Registry*>& registries);

  internal::CellSnapshot cells_;
  std::vector<internal::ScrapeItem> items_;
  std::vector<internal::ScrapeGroup> groups_;
  std::vector<const internal::Series*> series_;
  size_t last_size_ = 0;
};

// Convenience for tests and one-off use.
[[nodiscard]] std::string ScrapeText(const Registry& root);

}  // namespace dynobs::metrics
