#include <boost/json.hpp>
#include <chrono>
#include <orgscim/plugin/invitations/module.hpp>

namespace orgscim::plugin::invitations {

namespace json = boost::json;

namespace {

class reader {
  public:
    reader(const json::value& v, std::string path, std::vector<std::string>& errors)
        : path_(std::move(path)), errors_(errors) {
        if (!v.is_object()) {
            errors_.push_back(path_ + ": expected object");
            return;
        }
        obj_ = &v.as_object();
    }
    void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
        seen_.emplace_back(key);
        auto* v = find(key);
        if (!v) return;
        if (!v->is_int64() && !v->is_uint64()) {
            errors_.push_back(path_ + "." + std::string(key) + ": expected integer");
            return;
        }
        auto n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
        if (n < min || n > max) {
            errors_.push_back(path_ + "." + std::string(key) + ": expected " + std::to_string(min) +
                              ".." + std::to_string(max));
            return;
        }
        out = n;
    }
    void size(std::string_view key, std::size_t& out, std::int64_t min, std::int64_t max) {
        std::int64_t n = static_cast<std::int64_t>(out);
        integer(key, n, min, max);
        out = static_cast<std::size_t>(n);
    }
    void unsigned_ms(std::string_view key, unsigned& out) {
        std::int64_t n = out;
        integer(key, n, 1, 600000);
        out = static_cast<unsigned>(n);
    }
    void string(std::string_view key, std::string& out) {
        seen_.emplace_back(key);
        auto* v = find(key);
        if (!v) return;
        if (!v->is_string()) {
            errors_.push_back(path_ + "." + std::string(key) + ": expected string");
            return;
        }
        out = std::string(v->as_string());
    }
    void boolean(std::string_view key, bool& out) {
        seen_.emplace_back(key);
        auto* v = find(key);
        if (!v) return;
        if (!v->is_bool()) {
            errors_.push_back(path_ + "." + std::string(key) + ": expected boolean");
            return;
        }
        out = v->as_bool();
    }
    const json::value* child(std::string_view key) {
        seen_.emplace_back(key);
        return find(key);
    }
    void finish() {
        if (!obj_) return;
        for (const auto& kv : *obj_) {
            if (std::find(seen_.begin(), seen_.end(), kv.key()) == seen_.end())
                errors_.push_back(path_ + "." + std::string(kv.key()) + ": unknown key");
        }
    }
    const std::string& path() const { return path_; }

  private:
    const json::value* find(std::string_view key) const {
        return obj_ ? obj_->if_contains(key) : nullptr;
    }
    const json::object* obj_ = nullptr;
    std::string path_;
    std::vector<std::string>& errors_;
    std::vector<std::string> seen_;
};

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

module_config parse_module_config(const json::value& v,
                                  std::vector<std::string>& errors,
                                  std::string_view path) {
    module_config mc;
    auto& s = mc.settings;
    reader r(v, std::string(path), errors);
    constexpr std::int64_t year_s = 365LL * 24 * 3600;
    r.integer("member_expiry_s", s.member_expiry_s, 60, year_s);
    r.integer("parent_user_expiry_s", s.parent_user_expiry_s, 60, year_s);
    r.integer("managed_company_expiry_s", s.managed_company_expiry_s, 60, year_s);
    r.integer("min_expiry_s", s.min_expiry_s, 60, year_s);
    r.integer("max_expiry_s", s.max_expiry_s, 60, year_s);
    r.integer("resend_cooldown_s", s.resend_cooldown_s, 0, 30 * 24 * 3600);
    r.integer("reminder_before_s", s.reminder_before_s, 0, year_s);
    r.integer("renotify_interval_s", s.renotify_interval_s, 0, 30 * 24 * 3600);
    r.integer("max_invitees_per_request", s.max_invitees_per_request, 1, 10000);
    r.integer("sweep_interval_ms", mc.sweep_interval_ms, 100, 3600000);
    for (auto [name, value] : {std::pair{"member_expiry_s", s.member_expiry_s},
                               std::pair{"parent_user_expiry_s", s.parent_user_expiry_s},
                               std::pair{"managed_company_expiry_s", s.managed_company_expiry_s}}) {
        if (value < s.min_expiry_s || value > s.max_expiry_s)
            errors.push_back(std::string(path) + "." + name +
                             ": must lie within min_expiry_s..max_expiry_s");
    }
    if (const auto* smtp = r.child("smtp")) {
        mail::smtp_config c;
        reader m(*smtp, std::string(path) + ".smtp", errors);
        m.string("url", c.url);
        m.string("from", c.from);
        m.string("from_name", c.from_name);
        m.string("username", c.username);
        m.string("password_env", c.password_env);
        m.boolean("allow_plain", c.allow_plain);
        m.boolean("verify_peer", c.verify_peer);
        m.string("ca_file", c.ca_file);
        m.unsigned_ms("timeout_ms", c.timeout_ms);
        m.finish();
        for (auto& e : mail::validate(c)) {
            // validate() names keys as mail.smtp.*; report them under this config's path.
            auto dot = e.find("smtp.");
            errors.push_back(std::string(path) + "." +
                             (dot == std::string::npos ? e : e.substr(dot)));
        }
        mc.smtp = std::move(c);
    }
    if (const auto* sender = r.child("sender")) {
        reader m(*sender, std::string(path) + ".sender", errors);
        m.integer("lease_ms", mc.sender.lease_ms, 1000, 3600000);
        m.size("batch", mc.sender.batch, 1, 1000);
        m.integer("poll_ms", mc.sender.poll_ms, 10, 600000);
        m.integer("max_attempts", mc.sender.max_attempts, 1, 100);
        m.integer("backoff_base_ms", mc.sender.backoff_base_ms, 100, 86400000);
        m.integer("backoff_max_ms", mc.sender.backoff_max_ms, 100, 7 * 86400000LL);
        m.finish();
    }
    r.finish();
    return mc;
}

module::module(const config& cfg,
               module_config mc,
               org_directory& directory,
               scim::schema_registry& reg,
               clock_ms clock) :mc_(std::move(mc)) {
    store_ = open_invitation_backend(cfg.storage);
    service_config sc{mc_.settings, cfg.public_base_url + cfg.base_path};
    service_ = std::make_unique<service>(sc, *store_, directory, clock);
    register_schemas(reg);
    handlers_ = std::make_unique<handlers>(*service_, reg);
    if (mc_.smtp) {
        smtp_ = std::make_unique<mail::curl_smtp>(*mc_.smtp);
        sender_ = std::make_unique<mail::outbox_sender>(*store_, *smtp_, mc_.sender,
                                                        clock ? clock : clock_ms(&wall_ms));
    }
}

module::~module() { stop(); }

void module::start() {
    if (sweeper_.joinable()) return;
    stop_ = false;
    if (sender_) sender_->start();
    sweeper_ = std::thread([this] {
        while (!stop_) {
            service_->sweep();
            for (std::int64_t slept = 0; slept < mc_.sweep_interval_ms && !stop_; slept += 50)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
}

void module::stop() {
    stop_ = true;
    if (sweeper_.joinable()) sweeper_.join();
    if (sender_) sender_->stop();
}

}  // namespace orgscim::plugin::invitations
