#pragma once
// What the tests of the `orgscim` program share: the built binary and a fixture that runs it in a
// temporary directory.

#include <gtest/gtest.h>

#include <orgscim/testing/process.hpp>
#include <string>
#include <utility>
#include <vector>

namespace orgscim::testing {

/// The `orgscim` program of this build.
inline const std::string orgscim_bin = ORGSCIM_BINARY_DIR "/plugin/cli/orgscim";

struct cli_fixture : ::testing::Test {
    temp_dir dir;

    /// Runs `orgscim args...`; returns {exit status, stdout}, stderr into `err` if given.
    std::pair<int, std::string> run(std::vector<std::string> args, std::string* err = nullptr) {
        args.insert(args.begin(), orgscim_bin);
        return run_command(args, err);
    }
};

}  // namespace orgscim::testing
