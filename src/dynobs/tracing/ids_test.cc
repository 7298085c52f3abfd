#include "dynobs/tracing/ids.h"

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace dynobs::tracing {
namespace {

TEST(IdsTest, GeneratedIdsAreValidAndDistinct) {
  std::set<std::string> traces;
  std::set<std::string> spans;
  for (int i = 0; i < 10000; ++i) {
    TraceId t = NewTraceId();
    SpanId s = NewSpanId();
    ASSERT_TRUE(t.IsValid());
    ASSERT_TRUE(s.IsValid());
    traces.insert(t.ToHex());
    spans.insert(s.ToHex());
  }
  EXPECT_EQ(traces.size(), 10000u);
  EXPECT_EQ(spans.size(), 10000u);
}

TEST(IdsTest, HexRoundTrip) {
  auto t = TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e473"));
  EXPECT_FALSE(SpanId::FromHex("00f067aa0ba902bx"));
  auto zero = SpanId::FromHex("0000000000000000");
  ASSERT_TRUE(zero.has_value());
  EXPECT_FALSE(zero->IsValid());
}

TEST(IdsTest, UuidV4HasTheVersionAndVariantBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuidV4();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[14], '4') << u;
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    EXPECT_TRUE(IsUuid(u)) << u;
    for (char c : u) EXPECT_FALSE(c >= 'A' && c <= 'F') << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdsTest, IsUuidAcceptsTheFormsRustsUuidParses) {
  for (std::string_view u :
       {"8372eac7-5f43-4d76-beca-0a94cfb311d0", "8372EAC7-5F43-4D76-BECA-0A94CFB311D0",
        "8372eac75f434d76beca0a94cfb311d0", "{8372eac7-5f43-4d76-beca-0a94cfb311d0}",
        "urn:uuid:8372eac7-5f43-4d76-beca-0a94cfb311d0", "00000000-0000-0000-0000-000000000000"}) {
    EXPECT_TRUE(IsUuid(u)) << u;
  }
  for (std::string_view u :
       {"", "not-a-uuid", "8372eac7-5f43-4d76-beca-0a94cfb311d",
        "8372eac7-5f43-4d76-beca-0a94cfb311d00", "8372eac7_5f43_4d76_beca_0a94cfb311d0",
        "8372eac7-5f43-4d76-beca-0a94cfb311dg", "{8372eac7-5f43-4d76-beca-0a94cfb311d0",
        "8372eac75f434d76beca0a94cfb311d", "URN:UUID:8372eac7-5f43-4d76-beca-0a94cfb311d0",
        " 8372eac7-5f43-4d76-beca-0a94cfb311d0", "8372eac-75f43-4d76-beca-0a94cfb311d0"}) {
    EXPECT_FALSE(IsUuid(u)) << u;
  }
}

TEST(IdsTest, AForkedChildDoesNotRepeatItsParentsIds) {
  (void)NewSpanId();  // this thread's generator exists before the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    SpanId child = NewSpanId();
    ssize_t n = write(fds[1], child.bytes.data(), child.bytes.size());
    _exit(n == static_cast<ssize_t>(child.bytes.size()) ? 0 : 1);
  }
  SpanId parent = NewSpanId();
  SpanId child;
  ASSERT_EQ(read(fds[0], child.bytes.data(), child.bytes.size()),
            static_cast<ssize_t>(child.bytes.size()));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(parent, child);
}

}  // namespace
}  // namespace dynobs::tracing
