#include "dynobs/http/internal/listen.h"

namespace dynobs::http::internal {

using boost::asio::ip::tcp;
using boost::system::error_code;

std::string HostPort(const std::string& host, uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

StatusOr<uint16_t> Listen(tcp::acceptor& acceptor, const std::string& host, uint16_t port) {
  const std::string address = HostPort(host, port);
  error_code ec;
  tcp::resolver resolver(acceptor.get_executor());
  const auto endpoints = resolver.resolve(
      host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return UnavailableError("cannot resolve " + address + ": " + ec.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return UnavailableError("cannot open a socket for " + address + ": " + ec.message());
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    return UnavailableError("cannot bind " + address + ": " + ec.message());
  }
  if (acceptor.listen(tcp::socket::max_listen_connections, ec); ec) {
    return UnavailableError("cannot listen on " + address + ": " + ec.message());
  }
  return acceptor.local_endpoint().port();
}

}  // namespace dynobs::http::internal
