#pragma once

#include <boost/asio/io_context.hpp>

#include "dynobs/http/event_loop.h"

namespace dynobs::http::internal {

// The io_context behind `loop`, for .cc files (of this layer and others) that use Asio directly.
// Same lifetime as `loop`.
[[nodiscard]] boost::asio::io_context& IoContext(EventLoop& loop);

}  // namespace dynobs::http::internal
