#pragma once
// The SCIM 2.0 service: a request in, a response out (RFC 7644). Routing below the SCIM base,
// discovery, CRUD, list, search, PATCH, Bulk, ETags, projection and error bodies. No socket, no
// driver: hosts translate their transport into scim::request and back.

#include <functional>
#include <memory>
#include <optional>
#include <orgscim/scim/caller.hpp>
#include <orgscim/scim/config.hpp>
#include <orgscim/scim/message.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/store.hpp>

namespace orgscim::scim {

/// Milliseconds since the Unix epoch; injected so tests can fix time.
using clock_fn = std::function<std::int64_t()>;

class service {
  public:
    /// `registry` and `store` must outlive the service.
    service(const config& cfg, const schema_registry& registry, resource_store& store);
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    /// Handles one request below the SCIM base. Discovery endpoints (/ServiceProviderConfig,
    /// /ResourceTypes, /Schemas) need no caller permissions; everything else needs can_read
    /// (GET, POST /.search) or can_write. Never throws for client input.
    response handle(const request& req, const caller& who) const;

    /// Serves one write (POST, PUT, PATCH, DELETE) in place of the service when it returns a
    /// response; nullopt lets the service serve it. Called after the caller's permissions are
    /// checked, for a single request and for each operation of a Bulk request alike (the
    /// operation as a single request: bulkIds resolved, `version` as If-Match; its status
    /// >= 400 counts for failOnErrors), so a host rule cannot be bypassed through Bulk.
    using operation_hook = std::function<std::optional<response>(const request&, const caller&)>;
    /// Set before the service handles requests (not synchronized with handle()).
    void set_write_hook(operation_hook hook);

    class staged_write;
    /// handle() for a single-resource write (POST to /Users or /Groups, PUT or PATCH of one
    /// resource), split around its one store call, so that a host can run that call, and what
    /// must share its transaction, apart from the parsing, validation and rendering (on another
    /// thread). nullopt for every other request, which handle() serves whole. `req` and `who`
    /// must outlive the staged write.
    std::optional<staged_write> stage(const request& req, const caller& who) const;

    /// True for the discovery endpoints that may be served without authentication.
    static bool is_discovery(std::string_view path) noexcept;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

class service::staged_write {
  public:
    /// The write hook, then the store call unless the hook answered or the request failed
    /// before storage. May run again (a unit of work the database asked to repeat).
    void store();
    /// After store(): the written resource, or null when nothing was written (an error, or
    /// the write hook answered). Valid until answer().
    const resource_record* written() const noexcept;
    /// After store(): the response, the same handle() gives.
    response answer();

  private:
    friend struct service::impl;
    std::optional<response> answered_;  ///< an error found before storage
    std::function<std::optional<response>()> hook_;
    std::function<store_result<resource_record>()> call_;
    std::function<response(store_result<resource_record>&&)> render_;
    std::optional<response> hooked_;
    std::optional<store_result<resource_record>> outcome_;
};

/// Maps a storage outcome to the SCIM error the client sees (the one mapping function).
error to_scim_error(store_errc e, std::string_view what);

}  // namespace orgscim::scim
