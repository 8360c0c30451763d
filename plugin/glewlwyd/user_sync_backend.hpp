#pragma once
// A backend decorator that reports committed User writes to a plugin::user_sync observer. It is
// how the module learns about users without the SCIM service knowing any host: app is built on
// the decorated backend (make_app), and every other call is forwarded unchanged.

#include <memory>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/user_sync.hpp>

namespace orgscim::plugin::glewlwyd {

/// Wraps `inner`. After create/update/remove of a resource of type "User" succeeded (the store
/// has committed), calls `sync` on the same thread with no store lock held. Deletes read the
/// record first to know its userName. `sync` must not throw.
std::unique_ptr<backend> with_user_sync(std::unique_ptr<backend> inner, user_sync sync);

}  // namespace orgscim::plugin::glewlwyd
