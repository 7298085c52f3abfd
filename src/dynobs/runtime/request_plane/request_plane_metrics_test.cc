// Every metric family of the request plane after a known workload, with exact values: the
// work-handler families (spec §3.2) on the endpoint's scope, the transport breakdown (§3.3) in
// the first endpoint's registry, and the caller's families (§3.6).
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dynobs/runtime/request_plane/internal/frame.h"
#include "dynobs/runtime/request_plane/testing/request_plane_fixture.h"

namespace dynobs::runtime::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RequestPlaneMetricsTest : public RequestPlaneTest {
 protected:
  // What the client writes for one request: the frame with a 19-digit send timestamp.
  static size_t RequestBytes(const std::string& endpoint, const RequestHeaders& headers,
                             const std::string& body) {
    std::string frame;
    EXPECT_TRUE(request_plane_internal::AppendRequestFrame(&frame, endpoint, headers, body,
                                                           int64_t{1'700'000'000'000'000'000})
                    .ok());
    return frame.size();
  }
  // ITEM frames of StreamingHandler(count) plus the END frame (OK, no message).
  static size_t ResponseBytes(int count) {
    size_t n = request_plane_internal::kFrameHeaderBytes + 2;
    for (int i = 0; i < count; ++i) {
      n += request_plane_internal::kFrameHeaderBytes + ("item-" + std::to_string(i)).size();
    }
    return n;
  }
};

TEST_F(RequestPlaneMetricsTest, WorkHandlerFamiliesCountAKnownWorkloadExactly) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(4));
  StartClient();
  const RequestHeaders headers = {{"x-request-id", "abc"}};
  for (int i = 0; i < 3; ++i) {
    StreamRecorder recorder;
    auto handle = Generate("gen", recorder, headers, R"({"n":1})");
    ASSERT_TRUE(recorder.WaitEnd());
    ASSERT_TRUE(recorder.end().ok());
  }
  ASSERT_TRUE(server_->WaitIdle(kWait));
  const std::string text = WorkerMetrics();
  EXPECT_THAT(text, HasSubstr("# HELP dynamo_component_requests_total Total number of requests "
                              "processed by work handler\n"
                              "# TYPE dynamo_component_requests_total counter\n"));
  EXPECT_EQ(Sample(text, Series("requests_total", "gen")), "3");
  EXPECT_EQ(Sample(text, Series("inflight_requests", "gen")), "0");
  EXPECT_EQ(Sample(text, Series("request_bytes_total", "gen")),
            std::to_string(3 * RequestBytes("gen", headers, R"({"n":1})")));
  EXPECT_EQ(Sample(text, Series("response_bytes_total", "gen")),
            std::to_string(3 * ResponseBytes(4)));
  EXPECT_EQ(Sample(text, Series("request_duration_seconds_count", "gen")), "3");
  const std::string bucket = Series("request_duration_seconds_bucket", "gen");
  const std::string labels = bucket.substr(0, bucket.size() - 1);  // without the closing brace
  EXPECT_EQ(Sample(text, labels + ",le=\"0.005\"}"), "3");
  EXPECT_EQ(Sample(text, labels + ",le=\"600\"}"), "3");
  EXPECT_EQ(Sample(text, labels + ",le=\"+Inf\"}"), "3");
  EXPECT_EQ(Sample(text, Series("cancellation_total", "gen")), "0");
  // No error yet: like Dynamo's IntCounterVec, the family has no series and is not shown.
  EXPECT_THAT(text, Not(HasSubstr("dynamo_component_errors_total")));
  EXPECT_THAT(text, HasSubstr("# TYPE dynamo_component_inflight_requests gauge"));
  EXPECT_THAT(text, HasSubstr("# TYPE dynamo_component_request_duration_seconds histogram"));

  // §3.3: process-global, no labels, in the first endpoint's registry.
  EXPECT_EQ(Sample(text, "dynamo_work_handler_network_transit_seconds_count"), "3");
  EXPECT_EQ(Sample(text, "dynamo_work_handler_network_transit_seconds_bucket{le=\"1\"}"), "3");
  EXPECT_EQ(Sample(text, "dynamo_work_handler_time_to_first_response_seconds_count"), "3");
  EXPECT_EQ(Sample(text, "dynamo_work_handler_time_to_first_response_seconds_bucket{le=\"60\"}"),
            "3");
  EXPECT_THAT(text, HasSubstr("# HELP dynamo_work_handler_network_transit_seconds "
                              "Frontend-to-backend network transit time (cross-process "
                              "wall-clock, seconds)\n"));
}

TEST_F(RequestPlaneMetricsTest, TransitSaturatesAtZeroForAFutureSendTimestamp) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(1));
  StartClient({.stamp_send_time = false});
  StreamRecorder recorder;
  auto handle = Generate("gen", recorder, {{"x-frontend-send-ts-ns", "9000000000000000000"}});
  ASSERT_TRUE(recorder.WaitEnd());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  const std::string text = WorkerMetrics();
  EXPECT_EQ(Sample(text, "dynamo_work_handler_network_transit_seconds_bucket{le=\"0.0001\"}"), "1");
  EXPECT_EQ(Sample(text, "dynamo_work_handler_network_transit_seconds_sum"), "0");
}

TEST_F(RequestPlaneMetricsTest, TransportBreakdownIsRegisteredOnceIntoTheFirstEndpoint) {
  StartServer();
  AddEndpoint("first", StreamingHandler(1));
  AddEndpoint("second", StreamingHandler(1));
  auto first_scope = component_scope_->NewEndpoint("third");
  ASSERT_TRUE(server_->AddEndpoint("third", StreamingHandler(1), *first_scope).ok());
  const std::string text = WorkerMetrics();
  size_t at = text.find("# TYPE dynamo_work_handler_network_transit_seconds histogram");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(text.find("# TYPE dynamo_work_handler_network_transit_seconds", at + 1),
            std::string::npos);
}

TEST_F(RequestPlaneMetricsTest, MetricsLabelsJoinTheAutoLabels) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(1), {.metrics_labels = {{"model", "tiny"}}});
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("gen", recorder);
  ASSERT_TRUE(recorder.WaitEnd());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(Sample(WorkerMetrics(),
                   "dynamo_component_requests_total{dynamo_component=\"backend\","
                   "dynamo_endpoint=\"gen\",dynamo_namespace=\"dynamo\",model=\"tiny\","
                   "worker_id=\"1234abcd\"}"),
            "1");
}

TEST_F(RequestPlaneMetricsTest, CallerFamiliesCountAKnownWorkloadExactly) {
  StartServer();
  AddEndpoint("gen", StreamingHandler(4));
  StartClient();
  for (int i = 0; i < 3; ++i) {
    StreamRecorder recorder;
    auto handle = Generate("gen", recorder, {}, "{}");
    ASSERT_TRUE(recorder.WaitEnd());
  }
  const std::string text = ClientMetrics();
  EXPECT_EQ(Sample(text, "dynamo_request_plane_queue_seconds_count"), "3");
  EXPECT_EQ(Sample(text, "dynamo_request_plane_queue_seconds_bucket{le=\"1\"}"), "3");
  EXPECT_EQ(Sample(text, "dynamo_request_plane_send_seconds_count"), "3");
  EXPECT_EQ(Sample(text, "dynamo_request_plane_roundtrip_ttft_seconds_count"), "3");
  EXPECT_EQ(Sample(text, "dynamo_request_plane_roundtrip_ttft_seconds_bucket{le=\"5\"}"), "3");
  EXPECT_EQ(Sample(text, "dynamo_request_plane_inflight_requests"), "0");
  EXPECT_EQ(Sample(text, "dynamo_transport_tcp_bytes_sent_total"),
            std::to_string(3 * RequestBytes("gen", {}, "{}")));
  // PROLOGUE + items + END per stream.
  EXPECT_EQ(Sample(text, "dynamo_transport_tcp_bytes_received_total"),
            std::to_string(3 * (request_plane_internal::kFrameHeaderBytes + ResponseBytes(4))));
  EXPECT_EQ(Sample(text, "dynamo_transport_tcp_errors_total"), "0");
  EXPECT_THAT(text, HasSubstr("# HELP dynamo_request_plane_inflight_requests Currently in-flight "
                              "requests at AddressedPushRouter\n"
                              "# TYPE dynamo_request_plane_inflight_requests gauge\n"));
}

TEST_F(RequestPlaneMetricsTest, InflightGaugesCountStreamsInFlight) {
  StartServer();
  std::mutex mu;
  std::vector<std::shared_ptr<ResponseStream>> held;
  AddEndpoint("gen", [&](const IncomingRequest&, std::shared_ptr<ResponseStream> stream) {
    stream->Send("first");
    std::lock_guard lock(mu);
    held.push_back(std::move(stream));
  });
  StartClient();
  std::vector<StreamRecorder> recorders(2);
  std::vector<std::unique_ptr<StreamHandle>> handles;
  for (auto& r : recorders) handles.push_back(Generate("gen", r));
  for (auto& r : recorders) ASSERT_TRUE(r.WaitItems(1));
  EXPECT_EQ(Sample(WorkerMetrics(), Series("inflight_requests", "gen")), "2");
  EXPECT_EQ(Sample(ClientMetrics(), "dynamo_request_plane_inflight_requests"), "2");
  {
    std::lock_guard lock(mu);
    for (auto& s : held) s->Finish();
    held.clear();
  }
  for (auto& r : recorders) ASSERT_TRUE(r.WaitEnd());
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_EQ(Sample(WorkerMetrics(), Series("inflight_requests", "gen")), "0");
  EXPECT_EQ(Sample(ClientMetrics(), "dynamo_request_plane_inflight_requests"), "0");
}

TEST_F(RequestPlaneMetricsTest, ObservabilityOffRecordsNothing) {
  StartServer({.observability = false});
  AddEndpoint("gen", StreamingHandler(2));
  StartClient();
  StreamRecorder recorder;
  auto handle = Generate("gen", recorder);
  ASSERT_TRUE(recorder.WaitEnd());
  EXPECT_EQ(recorder.items().size(), 2u);
  ASSERT_TRUE(server_->WaitIdle(kWait));
  EXPECT_THAT(WorkerMetrics(), Not(HasSubstr("dynamo_component_requests_total")));
  EXPECT_THAT(WorkerMetrics(), Not(HasSubstr("dynamo_work_handler")));
  EXPECT_EQ(processor_.count(), 0u);
}

}  // namespace
}  // namespace dynobs::runtime::testing
