#include "user_mirror.hpp"

#include <boost/json/array.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include "host_log.hpp"
#include "ulfius_adapter.hpp"

namespace orgscim::plugin::glewlwyd {
namespace {

struct json_deleter {
    void operator()(json_t* j) const noexcept { json_decref(j); }
};
using json_ptr = std::unique_ptr<json_t, json_deleter>;

std::string string_at(const boost::json::object& obj, std::string_view key) {
    if (const auto* v = obj.if_contains(key); v != nullptr && v->is_string()) {
        return std::string{v->get_string()};
    }
    return {};
}

std::string display_name(const boost::json::object& user) {
    if (auto name = string_at(user, "displayName"); !name.empty()) return name;
    const auto* name = user.if_contains("name");
    if (name == nullptr || !name->is_object()) return {};
    if (auto formatted = string_at(name->get_object(), "formatted"); !formatted.empty()) {
        return formatted;
    }
    auto given = string_at(name->get_object(), "givenName");
    auto family = string_at(name->get_object(), "familyName");
    if (!given.empty() && !family.empty()) return given + " " + family;
    return given.empty() ? family : given;
}

// The primary address, else the first one (RFC 7643 §4.1.2: at most one is primary).
std::string email(const boost::json::object& user) {
    const auto* emails = user.if_contains("emails");
    if (emails == nullptr || !emails->is_array()) return {};
    std::string first;
    for (const auto& e : emails->get_array()) {
        if (!e.is_object()) continue;
        auto value = string_at(e.get_object(), "value");
        if (value.empty()) continue;
        if (const auto* primary = e.get_object().if_contains("primary");
            primary != nullptr && primary->is_bool() && primary->get_bool()) {
            return value;
        }
        if (first.empty()) first = std::move(value);
    }
    return first;
}

int result_of(const json_t* reply) {
    const json_t* result = json_object_get(reply, "result");
    return json_is_integer(result) ? static_cast<int>(json_integer_value(result)) : G_ERROR;
}

}  // namespace

user_mirror::user_mirror(config_plugin* host, mirror_options options)
    : host_(host), options_(std::move(options)), worker_([this] { run(); }) {}

user_mirror::~user_mirror() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_one();
    if (worker_.joinable()) worker_.join();
}

boost::json::object user_mirror::to_glewlwyd_user(const boost::json::object& scim_user,
                                                  const mirror_options& options) {
    boost::json::object out;
    out["username"] = string_at(scim_user, "userName");
    out["name"] = display_name(scim_user);
    out["email"] = email(scim_user);
    bool enabled = true;
    if (const auto* active = scim_user.if_contains("active");
        active != nullptr && active->is_bool()) {
        enabled = active->get_bool();
    }
    out["enabled"] = enabled;
    if (options.extra_properties) {
        out["scim_id"] = string_at(scim_user, "id");
        out["external_id"] = string_at(scim_user, "externalId");
    }
    return out;
}

user_mirror::pending user_mirror::removal() {
    pending p;
    p.remove = true;
    return p;
}

void user_mirror::operator()(const user_change& change) noexcept {
    if (!options_.enabled) return;
    try {
        if (change.event == user_event::deleted) {
            enqueue(change.user_name, removal());
            return;
        }
        enqueue(change.user_name, {false, change.resource, change.password});
        // Glewlwyd has no rename: the new name is written, the old record goes.
        if (change.previous_user_name && *change.previous_user_name != change.user_name) {
            enqueue(*change.previous_user_name, removal());
        }
    } catch (const std::exception& e) {
        host_log(log_level::error,
                 std::string{"user sync of "} + change.user_name + ": " + e.what());
    } catch (...) {
        host_log(log_level::error, "user sync of " + change.user_name + ": unknown error");
    }
}

void user_mirror::enqueue(const std::string& username, pending p) {
    if (username.empty()) return;
    {
        std::lock_guard lock{mutex_};
        auto [it, inserted] = queued_.try_emplace(username);
        if (inserted) {
            order_.push_back(username);
        } else if (!p.remove && !p.password && !it->second.remove) {
            p.password = std::move(it->second.password);  // a later update must not drop it
        }
        it->second = std::move(p);
    }
    wake_.notify_one();
}

void user_mirror::flush() {
    std::unique_lock lock{mutex_};
    idle_.wait(lock, [&] { return order_.empty() && !busy_; });
}

void user_mirror::run() {
    std::unique_lock lock{mutex_};
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !order_.empty(); });
        if (order_.empty()) return;  // stopping, and everything queued was applied
        const std::string username = std::move(order_.front());
        order_.pop_front();
        auto node = queued_.extract(username);
        busy_ = true;
        lock.unlock();
        apply(username, node.mapped());
        lock.lock();
        busy_ = false;
        if (order_.empty()) idle_.notify_all();
    }
}

void user_mirror::apply(const std::string& username, const pending& p) noexcept {
    try {
        if (p.remove) {
            remove(username);
        } else {
            upsert(username, p);
        }
    } catch (const std::exception& e) {
        host_log(log_level::error, "user sync of " + username + ": " + e.what());
    } catch (...) {
        host_log(log_level::error, "user sync of " + username + ": unknown error");
    }
}

// Only the worker thread writes, so read-merge-write needs no lock of ours.
void user_mirror::upsert(const std::string& username, const pending& p) {
    auto wanted = to_glewlwyd_user(p.resource, options_);
    wanted["username"] = username;

    json_ptr existing{host_->glewlwyd_plugin_callback_get_user(host_, username.c_str())};
    if (existing && result_of(existing.get()) == G_OK) {
        // set_user replaces the record: start from what Glewlwyd has (scopes, picture, other
        // modules' properties) and overwrite only what SCIM owns.
        json_t* record = json_object_get(existing.get(), "user");
        auto merged = record != nullptr ? to_boost(record) : std::nullopt;
        if (!merged || !merged->is_object()) {
            host_log(log_level::error, "user sync: unreadable Glewlwyd record for " + username);
            return;
        }
        auto& obj = merged->get_object();
        for (const auto& [key, value] : wanted) obj[key] = value;
        if (p.password) obj["password"] = *p.password;
        json_ptr j_user{to_jansson(*merged)};
        if (!j_user) throw std::bad_alloc{};
        const int rc =
            host_->glewlwyd_plugin_callback_set_user(host_, username.c_str(), j_user.get());
        if (rc != G_OK) {
            host_log(log_level::error,
                     "user sync: set_user(" + username + ") failed with " + std::to_string(rc));
        }
        return;
    }

    boost::json::array scopes;
    for (const auto& s : options_.scopes) scopes.emplace_back(s);
    wanted["scope"] = std::move(scopes);
    if (p.password) wanted["password"] = *p.password;
    json_ptr j_user{to_jansson(wanted)};
    if (!j_user) throw std::bad_alloc{};
    json_ptr valid{
        host_->glewlwyd_plugin_callback_is_user_valid(host_, username.c_str(), j_user.get(), 1)};
    if (!valid || result_of(valid.get()) != G_OK) {
        std::unique_ptr<char, void (*)(void*)> why{
            valid ? json_dumps(valid.get(), JSON_COMPACT) : nullptr, std::free};
        host_log(log_level::error, "user sync: Glewlwyd rejects user " + username + ": " +
                                       (why ? why.get() : "no answer"));
        return;
    }
    const int rc = host_->glewlwyd_plugin_callback_add_user(host_, j_user.get());
    if (rc != G_OK) {
        host_log(log_level::error,
                 "user sync: add_user(" + username + ") failed with " + std::to_string(rc));
    }
}

void user_mirror::remove(const std::string& username) {
    // delete_user synchronously calls plugin_user_revoke on every plugin instance, this one
    // included (glewlwyd.md §5): on this worker thread, holding nothing.
    const int rc = host_->glewlwyd_plugin_callback_delete_user(host_, username.c_str());
    if (rc != G_OK && rc != G_ERROR_NOT_FOUND) {
        host_log(log_level::error,
                 "user sync: delete_user(" + username + ") failed with " + std::to_string(rc));
    }
}

}  // namespace orgscim::plugin::glewlwyd
