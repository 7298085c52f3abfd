#pragma once

#include <utility>

#include "dynobs/common/status.h"

namespace dynobs::metrics {

// Stores a created handle in `*out` and returns OK, or returns the creation error. Lets a
// struct of handles be built as one list of statuses:
//   for (const Status& s : {AssignCreated(r.CreateCounter(...), &m->a), ...}) { ... }
template <typename T>
Status AssignCreated(StatusOr<T> created, T* out) {
  if (!created.ok()) return created.status();
  *out = std::move(*created);
  return Status::Ok();
}

}  // namespace dynobs::metrics
