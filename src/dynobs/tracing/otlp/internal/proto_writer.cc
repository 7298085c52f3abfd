#include "dynobs/tracing/otlp/internal/proto_writer.h"

namespace dynobs::otlp::internal {

void ProtoWriter::StringFieldSlow(uint32_t field, std::string_view s) {
  std::string clean;
  clean.reserve(s.size() + 8);
  AppendSanitizedUtf8(clean, s);
  BytesField(field, clean);
}

void ProtoWriter::EndLongMessage(size_t mark, size_t len) {
  size_t n = VarintSize(len);
  out_->insert(mark, n - 1, '\0');  // moves the message up by n - 1 bytes
  char* p = out_->data() + mark - 1;
  while (len >= 0x80) {
    *p++ = static_cast<char>(len | 0x80);
    len >>= 7;
  }
  *p = static_cast<char>(len);
}

}  // namespace dynobs::otlp::internal
