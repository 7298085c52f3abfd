#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace dynobs::logging::internal {

// Tests only: a file in the test's temp dir, opened for writing, removed on destruction.
class TempFile {
 public:
  TempFile() : path_(::testing::TempDir() + "dynobs_log_XXXXXX"), fd_(mkstemp(path_.data())) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    close(fd_);
    unlink(path_.c_str());
  }

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  [[nodiscard]] std::string Read() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  [[nodiscard]] std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    std::stringstream s(Read());
    for (std::string line; std::getline(s, line);) out.push_back(line);
    return out;
  }

 private:
  std::string path_;
  int fd_;
};

}  // namespace dynobs::logging::internal
