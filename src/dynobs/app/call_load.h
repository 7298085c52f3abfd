#pragma once

#include <string>

#include "dynobs/runtime/endpoint_client.h"

namespace dynobs::app {

// `dynobs call --concurrency N`: a closed-loop load of `requests` streams with `concurrency` in
// flight (each stream's end starts the next), round robin over the instances. Prints one JSON
// summary line: {"requests","ok","failed","items","elapsed_ms","requests_per_second",
// "items_per_second","first_error"} (all but first_error integers). Returns 0 when every stream
// ended OK.
int RunLoad(runtime::EndpointClient& client, const std::string& body, int requests,
            int concurrency);

}  // namespace dynobs::app
