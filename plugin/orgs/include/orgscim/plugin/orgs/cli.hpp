#pragma once
// The organization subcommands of the `orgscim` program that need the organization model:
//   orgscim orgs tree   [--json]                          the hierarchy, with status and managedBy
//   orgscim orgs manage --org ID [--off]                  the parent manages ID (operator consent)
//   orgscim orgs grant  --org ID --issuer ISS --subject SUB --role R [--role R...]
//                                                         bootstrap a member (e.g. the first MSP
//                                                         admin) with roles, as the operator
//   orgscim orgs events --org ID [--count N]              the org's newest events
//   orgscim orgs disable|enable --org ID                  a disabled org serves no SCIM writes
// Each accepts --config FILE and --db PATH like every other command.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::orgs {

/// True for the subcommands above.
bool is_orgs_cli_command(std::string_view sub) noexcept;

/// Runs one of them. Returns the exit code (0 ok, 1 runtime failure, 2 usage error); throws the
/// program's config_error / startup_error like the other commands.
int run_orgs_cli(std::string_view sub,
                 const std::vector<std::string>& args,
                 std::ostream& out,
                 std::ostream& err);

}  // namespace orgscim::plugin::orgs
