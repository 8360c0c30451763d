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

    /// True for the discovery endpoints that may be served without authentication.
    static bool is_discovery(std::string_view path) noexcept;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Maps a storage outcome to the SCIM error the client sees (the one mapping function).
error to_scim_error(store_errc e, std::string_view what);

}  // namespace orgscim::scim
