#pragma once
// The driver-neutral half of export/import: the catalogue of every table orgscim keeps (the same
// on both backends), the JSON-lines stream, and the checks around it. Each backend supplies a
// reader (one snapshot) and a writer (one transaction); nothing here knows a driver.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <orgscim/plugin/storage/transfer.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace orgscim::plugin::sql::transfer {

/// SQLite INTEGER 0/1 and PostgreSQL BOOLEAN are both `boolean`; BLOB and BYTEA are `bytes`.
enum class column_type { text, integer, boolean, bytes };

struct column {
    std::string_view name;
    column_type type;
};

struct table {
    std::string_view name;
    std::span<const column> columns;
    /// The columns of a unique key, for a stable order and for paging through large tables.
    std::span<const std::string_view> key;
    /// The column PostgreSQL fills from a sequence (BIGSERIAL), or empty.
    std::string_view serial;
};

/// Every table holding orgscim's data, in an order that loads without breaking references
/// (OAuth clients before their secrets). Book-keeping tables (schema_migrations, resource_counts
/// kept by triggers on both backends) are not listed: the target has its own.
std::span<const table> tables();
const table* find_table(std::string_view name);

/// text and bytes are both std::string (bytes raw); null is monostate.
using value = std::variant<std::monostate, std::int64_t, bool, std::string>;
using row = std::vector<value>;  ///< in table::columns order

/// Table name -> column names, as a backend finds them in its database.
using schema_description = std::map<std::string, std::set<std::string>, std::less<>>;

/// One consistent snapshot of a database.
class reader {
  public:
    virtual ~reader() = default;
    virtual std::string_view backend() const = 0;
    virtual int schema_version() = 0;
    /// orgscim's tables without the book-keeping ones.
    virtual schema_description describe() = 0;
    virtual void each_row(const table& t, const std::function<void(const row&)>& f) = 0;
};

/// One open write transaction; nothing is kept unless commit() returns.
class writer {
  public:
    virtual ~writer() = default;
    virtual std::string_view backend() const = 0;
    virtual int schema_version() = 0;
    virtual schema_description describe() = 0;
    /// Starts the transaction and takes the locks that keep other writers out until commit().
    virtual void begin() = 0;
    virtual bool empty(const table& t) = 0;
    /// May buffer; a failure may show at a later insert or at commit().
    virtual void insert(const table& t, const row& r) = 0;
    /// Flushes, moves sequences past the imported values, commits.
    virtual void commit() = 0;
};

/// Throws transfer_error naming the first table or column that differs from the catalogue.
void check_schema(const schema_description& found, std::string_view where);

/// Writes the header, every row of every table and the trailer. `latest` is this program's schema
/// version for the reader's backend. Throws transfer_error.
transfer_summary write_stream(reader& from, std::ostream& out, int latest, std::int64_t now_ms);

/// This program's schema version per backend name; nullopt for an unknown backend.
using latest_versions = std::function<std::optional<int>(std::string_view backend)>;

/// Checks the header and the target, loads every row and commits. Throws transfer_error.
transfer_summary read_stream(std::istream& in, writer& to, const latest_versions& latest);

std::string base64_encode(std::string_view bytes);
/// nullopt unless `text` is padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace orgscim::plugin::sql::transfer
