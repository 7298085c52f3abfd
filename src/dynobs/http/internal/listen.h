#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "dynobs/common/status.h"

namespace dynobs::http::internal {

// "host:port", or "[host]:port" for an IPv6 address.
[[nodiscard]] std::string HostPort(const std::string& host, uint16_t port);

// Resolves `host` (numeric or a name), then opens, binds (SO_REUSEADDR) and listens on
// `acceptor`; returns the bound port (the chosen one when `port` is 0). UNAVAILABLE naming the
// address and the step that failed. Shared by the HTTP server and the request plane.
[[nodiscard]] StatusOr<uint16_t> Listen(boost::asio::ip::tcp::acceptor& acceptor,
                                        const std::string& host, uint16_t port);

}  // namespace dynobs::http::internal
