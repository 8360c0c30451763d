#pragma once
// `orgscim import --org ID --role ROLE [--groups G1,G2] [--dry-run] [--no-email] [--format
// csv|jsonl]
//  [--config FILE] [--db PATH] FILE` ("-" reads stdin). One result line per row on `out`
// (line, email, outcome, code, id; tab-separated), a summary line, and a progress bar on `err`
// when it is a terminal.

#include <iosfwd>
#include <string>
#include <vector>

namespace orgscim::plugin::invitations {

/// Exit codes as the rest of the CLI: 0 ok (even when some rows failed: see the lines), 1 runtime
/// failure (database, unknown or disabled org), 2 usage error, 3 configuration error.
int run_import_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace orgscim::plugin::invitations
