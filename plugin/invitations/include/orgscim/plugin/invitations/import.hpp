#pragma once
// Import by email: a CSV file (header row with an `email` column; optional name/displayName,
// role/roles and groups columns, groups separated by ';' or '|') or JSON lines
// ({"email": ..., "name": ..., "role": ..., "groups": [...]}). One invitation per new person;
// existing members and people already invited are skipped, so running the same file twice
// creates nothing new.

#include <functional>
#include <orgscim/plugin/invitations/service.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::invitations {

struct import_row {
    std::size_t line = 0;  ///< 1-based line in the file
    std::string email;
    std::string name;
    std::string role;  ///< empty: the command's --role
    std::vector<std::string> groups;
    std::string error;  ///< a row that could not be read ("missing email", "bad JSON")
};

/// Parses the whole file; format "csv", "jsonl" or "" (guess: a first '{' means JSON lines).
/// Errors (whole file): 400 invalidSyntax for a CSV without an `email` column or an unknown
/// format. Bad rows are kept with `error` set.
scim::result<std::vector<import_row>> parse_import(std::string_view text, std::string_view format);

struct import_options {
    std::string org_id;
    std::string role;
    std::vector<std::string> groups;
    std::string actor = "cli";
    bool dry_run = false;
    bool send_email = true;
    std::size_t batch = 1000;  ///< rows per transaction
};

struct import_result_line {
    std::size_t line = 0;
    std::string email;
    std::string outcome;  ///< "invited", "valid" (dry run), "skipped", "error"
    std::string code;     ///< errorCode for skipped and error rows
    std::string id;       ///< the invitation id
};

/// Runs the import. `progress(done, total)` is called after each batch. Whole-import errors:
/// org_unavailable, invalid_kind, storage.
op_result<std::vector<import_result_line>> run_import(
    service& svc,
    const import_options& opt,
    const std::vector<import_row>& rows,
    const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace orgscim::plugin::invitations
