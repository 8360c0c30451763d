#include <orgscim/plugin/invitations/lifecycle.hpp>
#include <orgscim/plugin/invitations/service.hpp>
#include <orgscim/plugin/invitations/token.hpp>
#include <orgscim/plugin/mail/templates.hpp>
#include <set>

namespace orgscim::plugin::invitations {

namespace {

using scim::store_errc;

errc from_store(store_errc e) {
    return e == store_errc::not_found ? errc::invalid_link : errc::storage;
}

// mutate callbacks may only return scim::error; the errc travels beside it.
scim::error abort_with(errc& slot, errc e) {
    slot = e;
    return scim::error::bad_request(scim::scim_type::none, std::string(to_string(e)));
}

std::string ref_of(std::string_view prefix, std::string_view id) {
    return std::string(prefix) + ":" + std::string(id);
}

outbox_message make_mail(std::string_view org_id,
                         std::string ref,
                         std::string_view tmpl,
                         std::string_view to,
                         mail::rendered r,
                         std::int64_t now) {
    outbox_message m;
    m.org_id = std::string(org_id);
    m.ref = std::move(ref);
    m.template_name = std::string(tmpl);
    m.to = std::string(to);
    m.subject = std::move(r.subject);
    m.text = std::move(r.text);
    m.html = std::move(r.html);
    m.next_attempt_ms = now;
    m.created_ms = now;
    return m;
}

verified_identity identity_from_key(std::string_view key, std::string_view email) {
    verified_identity id;
    auto bar = key.find('|');
    id.issuer = std::string(key.substr(0, bar));
    if (bar != std::string_view::npos) id.subject = std::string(key.substr(bar + 1));
    id.email = std::string(email);
    id.email_verified = true;
    return id;
}

}  // namespace

service::service(service_config cfg,
                 invitation_store& store,
                 org_directory& directory,
                 clock_ms clock)
    : cfg_(std::move(cfg)), store_(store), dir_(directory), clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
}

namespace {

// The organization's own wording when it has one for `name` (settings.emailTemplates).
mail::rendered customized(const org_view& org,
                          std::string_view name,
                          mail::rendered built_in,
                          const mail::template_vars& vars) {
    for (const auto& [n, o] : org.policy.templates) {
        if (n == name) return mail::apply_override(std::move(built_in), o, vars);
    }
    return built_in;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
}

}  // namespace

std::string service::link_for(std::string_view token) const {
    return cfg_.public_base_url + "/invitations/" + std::string(token);
}

void service::queue_invitation_mail(invitation_write& w,
                                    const org_view& org,
                                    std::string_view token,
                                    bool reminder) {
    const auto& r = w.record;
    mail::invitation_vars v{org.name,
                            dir_.inviter_name(r.inviter),
                            r.email,
                            r.kind,
                            r.roles,
                            r.groups,
                            token.empty() ? std::string() : link_for(token),
                            r.expires_ms};
    auto now = clock_();
    const std::string_view name = reminder ? "reminder" : "invitation";
    auto msg = customized(org, name, mail::render_invitation(v, reminder),
                          {{"org", v.org_name},
                           {"inviter", v.inviter},
                           {"email", v.invitee_email},
                           {"kind", v.kind},
                           {"roles", joined(v.roles)},
                           {"groups", joined(v.groups)},
                           {"link", v.link},
                           {"expires", mail::format_utc(v.expires_ms)}});
    w.effects.mail.push_back(
        make_mail(r.org_id, ref_of("invitation", r.id), name, r.email, std::move(msg), now));
}

op_result<invitee_result> service::prepare(const create_request& req,
                                           const org_view& org,
                                           const invitee& who,
                                           invitation_write& out,
                                           std::string& token) {
    auto now = clock_();
    invitation_record& r = out.record;
    r.org_id = org.id;
    r.kind = req.kind;
    if (req.kind == "parentUser") {
        std::string key = who.parent_user.empty() ? who.email : who.parent_user;
        auto pu = dir_.find_parent_user(org.id, key);
        if (!pu) {
            auto norm = normalize_email(key);
            if (norm) pu = dir_.find_parent_user(org.id, *norm);
        }
        if (!pu) return errc::unknown_parent_user;
        r.email = pu->email;
        r.parent_user = pu->id;
    } else {
        auto norm = normalize_email(who.email);
        if (!norm) return norm.error();
        r.email = *norm;
    }
    r.display_name = who.display_name;
    r.roles = who.roles.empty() ? req.roles : who.roles;
    r.groups = who.groups.empty() ? req.groups : who.groups;
    for (const auto& role : r.roles) {
        if (!dir_.role_exists(org.id, role)) return errc::unknown_role;
        if (!dir_.can_grant(org.id, req.actor, role)) return errc::role_not_grantable;
    }
    for (const auto& g : r.groups)
        if (!dir_.group_exists(org.id, g)) return errc::unknown_group;
    if (req.kind != "managedCompany" && dir_.is_member(org.id, r.email))
        return errc::already_member;
    auto life = lifetime_ms(cfg_.settings, org.policy, req.kind,
                            who.expires_in_s ? who.expires_in_s : req.expires_in_s);
    if (!life) return life.error();
    if (!req.replace) {
        auto pending = store_.find_pending(org.id, req.kind, r.email, now);
        if (!pending) return errc::storage;
        if (*pending) return errc::already_invited;
    }

    auto t = new_link_token();
    token = t.token;
    r.id = new_id();
    r.status = "pending";
    r.inviter = req.actor;
    r.token_hash = t.hash;
    r.created_ms = r.modified_ms = r.last_sent_ms = now;
    r.expires_ms = now + *life;
    r.reminder_at_ms =
        req.send_email ? reminder_at_ms(cfg_.settings, org.policy, now, r.expires_ms) : 0;
    r.delivery = req.send_email ? "queued" : "none";
    out.effects.history.push_back(
        {now, "created", req.actor, "expires " + mail::format_utc(r.expires_ms)});
    if (req.send_email) queue_invitation_mail(out, org, token, false);
    invitee_result res;
    res.invitation = r;
    return res;
}

op_result<std::vector<invitee_result>> service::create(const create_request& req,
                                                       const std::vector<invitee>& invitees) {
    if (!valid_kind(req.kind)) return errc::invalid_kind;
    auto org = dir_.find_org(req.org_id);
    if (!org || org->status != "active") return errc::org_unavailable;
    if (req.kind == "parentUser" && org->parent_id.empty()) return errc::no_parent;

    std::vector<invitee_result> results(invitees.size());
    std::vector<invitation_write> batch;
    std::vector<std::size_t> batch_index;
    std::vector<std::string> tokens;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < invitees.size(); ++i) {
        const auto& who = invitees[i];
        results[i].input = who.parent_user.empty() ? who.email : who.parent_user;
        invitation_write w;
        std::string token;
        auto p = prepare(req, *org, who, w, token);
        if (p && !seen.insert(w.record.email).second) p = errc::already_invited;
        if (!p) {
            bool benign = p.error() == errc::already_member || p.error() == errc::already_invited;
            if (req.skip_existing && benign) results[i].skipped = true;
            results[i].error = p.error();
            continue;
        }
        results[i].invitation = p->invitation;
        if (!req.send_email) results[i].link = link_for(token);
        if (req.dry_run) continue;
        batch.push_back(std::move(w));
        batch_index.push_back(i);
    }
    if (batch.empty()) return results;

    auto stored = store_.insert_invitations(std::move(batch), req.replace, clock_());
    if (!stored) return errc::storage;
    for (std::size_t k = 0; k < stored->size(); ++k) {
        auto& out = results[batch_index[k]];
        const auto& one = (*stored)[k];
        if (one) {
            out.invitation = *one;
            continue;
        }
        out.invitation.reset();
        out.link.clear();
        if (one.error() == store_errc::conflict) {
            out.error = errc::already_invited;
            out.skipped = req.skip_existing;
        } else {
            out.error = errc::storage;
        }
    }
    return results;
}

op_result<std::pair<invitation_record, std::string>> service::resend(std::string_view org_id,
                                                                     std::string_view id,
                                                                     std::string_view actor,
                                                                     bool send_email) {
    auto org = dir_.find_org(org_id);
    if (!org || org->status != "active") return errc::org_unavailable;
    auto now = clock_();
    errc why = errc::storage;
    std::string token;
    auto updated = store_.update_invitation(
        org_id, id, [&](const invitation_record& cur) -> scim::result<invitation_write> {
            if (auto ok = check_resend(cur, now, cooldown_ms(cfg_.settings, org->policy)); !ok)
                return abort_with(why, ok.error());
            auto life = lifetime_ms(cfg_.settings, org->policy, cur.kind, std::nullopt);
            if (!life) return abort_with(why, life.error());
            invitation_write w{cur, {}};
            auto& r = w.record;
            auto t = new_link_token();
            token = t.token;
            r.token_hash = t.hash;
            ++r.token_version;
            ++r.resend_count;
            r.last_sent_ms = now;
            r.modified_ms = now;
            r.expires_ms = now + *life;
            r.reminder_at_ms =
                send_email ? reminder_at_ms(cfg_.settings, org->policy, now, r.expires_ms) : 0;
            r.delivery = send_email ? "queued" : "none";
            r.delivery_error.clear();
            w.effects.supersede_ref = ref_of("invitation", r.id);
            w.effects.history.push_back(
                {now, "resent", std::string(actor), "expires " + mail::format_utc(r.expires_ms)});
            if (send_email) queue_invitation_mail(w, *org, token, false);
            return w;
        });
    if (!updated) {
        if (updated.error() == store_errc::aborted) return why;
        return from_store(updated.error());
    }
    return std::make_pair(*updated, send_email ? std::string() : link_for(token));
}

op_result<std::string> service::copy_link(std::string_view org_id,
                                          std::string_view id,
                                          std::string_view actor) {
    auto now = clock_();
    errc why = errc::storage;
    std::string token;
    auto updated = store_.update_invitation(
        org_id, id, [&](const invitation_record& cur) -> scim::result<invitation_write> {
            if (effective_status(cur, now) != "pending") return abort_with(why, errc::not_pending);
            invitation_write w{cur, {}};
            auto t = new_link_token();
            token = t.token;
            w.record.token_hash = t.hash;
            ++w.record.token_version;
            w.record.modified_ms = now;
            // The queued email carries the old link, which dies now.
            w.effects.supersede_ref = ref_of("invitation", cur.id);
            w.effects.history.push_back({now, "linkCopied", std::string(actor), {}});
            return w;
        });
    if (!updated) {
        if (updated.error() == store_errc::aborted) return why;
        return from_store(updated.error());
    }
    return link_for(token);
}

op_result<invitation_record> service::revoke(std::string_view org_id,
                                             std::string_view id,
                                             std::string_view actor,
                                             std::string_view reason) {
    auto now = clock_();
    errc why = errc::storage;
    auto updated = store_.update_invitation(
        org_id, id, [&](const invitation_record& cur) -> scim::result<invitation_write> {
            invitation_write w{cur, {}};
            w.record.history.clear();
            if (auto ok = finish(w.record, "revoked", now, actor, reason); !ok)
                return abort_with(why, ok.error());
            w.effects.history.push_back({now, "revoked", std::string(actor), std::string(reason)});
            w.effects.supersede_ref = ref_of("invitation", cur.id);
            return w;
        });
    if (!updated) {
        if (updated.error() == store_errc::aborted) return why;
        return from_store(updated.error());
    }
    return *updated;
}

op_result<void> service::remove(std::string_view org_id, std::string_view id) {
    auto r = store_.delete_invitation(org_id, id);
    if (r) return {};
    if (r.error() == store_errc::conflict) return errc::still_pending;
    return from_store(r.error());
}

op_result<invitation_record> service::get(std::string_view org_id, std::string_view id) {
    auto r = store_.get_invitation(org_id, id);
    if (!r) return from_store(r.error());
    return *r;
}

op_result<std::vector<invitation_record>> service::list(std::string_view org_id) {
    auto r = store_.list_invitations(org_id);
    if (!r) return errc::storage;
    return *r;
}

op_result<invitation_record> service::find_live(std::string_view token) {
    if (!well_formed_token(token)) return errc::invalid_link;
    auto r = store_.find_by_token(hash_token(token));
    if (!r) return from_store(r.error());
    if (effective_status(*r, clock_()) != "pending") return errc::invalid_link;
    auto org = dir_.find_org(r->org_id);
    // A disabled organization accepts no invitations (keycloak#45760); same answer as any
    // invalid link.
    if (!org || org->status != "active") return errc::invalid_link;
    // An inviter who left takes their pending invitations with them (ToolJet#16229).
    if (!dir_.inviter_active(r->org_id, r->inviter)) return errc::invalid_link;
    return *r;
}

bool service::is_invitee(const invitation_record& r, const verified_identity& who) {
    if (r.kind == "parentUser") {
        auto pu = dir_.find_parent_user(r.org_id, r.email);
        if (pu && !pu->identity_key.empty()) return pu->identity_key == who.key();
    }
    if (!who.email_verified) return false;
    auto mail = normalize_email(who.email);
    return mail && *mail == r.email;
}

op_result<view_result> service::view(std::string_view token, const verified_identity* viewer) {
    auto r = find_live(token);
    if (!r) return r.error();
    view_result v;
    v.invitation = *r;
    v.org = *dir_.find_org(r->org_id);
    v.inviter_name = dir_.inviter_name(r->inviter);
    if (viewer && r->kind == "managedCompany" && is_invitee(*r, *viewer))
        v.companies = dir_.manageable_companies(*viewer, r->org_id);
    return v;
}

op_result<accept_result> service::accept(std::string_view token,
                                         const verified_identity& who,
                                         const accept_request& req) {
    auto found = find_live(token);
    if (!found) return found.error();
    const invitation_record inv = *found;
    if (!is_invitee(inv, who)) return errc::wrong_account;
    if (inv.kind == "managedCompany") {
        if (req.company_ids.empty() && req.new_company_name.empty())
            return errc::no_company_selected;
        auto choices = dir_.manageable_companies(who, inv.org_id);
        for (const auto& id : req.company_ids) {
            bool ok = false;
            for (const auto& c : choices) ok = ok || (c.org_id == id && c.available);
            if (!ok) return errc::company_unavailable;
        }
    }

    auto now = clock_();
    std::string hash = hash_token(token);
    errc why = errc::storage;
    // The claim: only one accept can move this row out of pending (conditional UPDATE in the
    // store); everything after it acts for the winner only.
    auto claimed = store_.update_invitation(
        inv.org_id, inv.id, [&](const invitation_record& cur) -> scim::result<invitation_write> {
            if (cur.token_hash != hash || effective_status(cur, now) != "pending")
                return abort_with(why, errc::invalid_link);
            invitation_write w{cur, {}};
            w.record.history.clear();
            if (auto ok = finish(w.record, "accepted", now, who.key(), {}); !ok)
                return abort_with(why, errc::invalid_link);
            w.effects.history.push_back({now, "accepted", who.key(), who.email});
            w.effects.supersede_ref = ref_of("invitation", cur.id);
            return w;
        });
    if (!claimed) {
        if (claimed.error() == store_errc::aborted) return why;
        if (claimed.error() == store_errc::version_mismatch) return errc::invalid_link;
        return from_store(claimed.error());
    }

    accept_result out;
    out.invitation = *claimed;
    std::string note;
    if (inv.kind == "managedCompany") {
        std::vector<std::string> ids = req.company_ids;
        if (!req.new_company_name.empty()) {
            auto made = dir_.create_company(req.new_company_name, who, inv.org_id);
            if (made) ids.push_back(*made);
        }
        for (const auto& id : ids)
            if (dir_.set_managed_by(id, inv.org_id, who)) out.managed_companies.push_back(id);
        for (const auto& id : out.managed_companies) note += (note.empty() ? "" : ",") + id;
        note = "managed: " + note;
    } else {
        verified_identity member = who;
        member.email = inv.email;
        auto g = dir_.grant(inv.org_id, member, inv.kind == "parentUser" ? "invited" : "home",
                            inv.roles, inv.groups);
        if (!g) {
            // Give the invitation back: the person is not in, so it must stay usable.
            store_.update_invitation(
                inv.org_id, inv.id,
                [&](const invitation_record& cur) -> scim::result<invitation_write> {
                    invitation_write w{cur, {}};
                    w.record.status = "pending";
                    w.record.finished_ms = 0;
                    w.record.finished_by.clear();
                    w.effects.history.push_back(
                        {clock_(), "acceptFailed", who.key(), g.error().detail});
                    return w;
                });
            return errc::org_unavailable;
        }
        out.missing = *g;
        for (const auto& r : g->missing_roles) note += " role " + r;
        for (const auto& gr : g->missing_groups) note += " group " + gr;
        if (!note.empty()) note = "no longer exist:" + note;
    }
    if (!note.empty()) {
        auto noted = store_.update_invitation(
            inv.org_id, inv.id,
            [&](const invitation_record& cur) -> scim::result<invitation_write> {
                invitation_write w{cur, {}};
                w.effects.history.push_back({now, "granted", who.key(), note});
                return w;
            });
        if (noted) out.invitation = *noted;
    }
    return out;
}

op_result<invitation_record> service::decline(std::string_view token,
                                              const verified_identity& who,
                                              std::string_view reason) {
    auto found = find_live(token);
    if (!found) return found.error();
    if (!is_invitee(*found, who)) return errc::wrong_account;
    auto now = clock_();
    std::string hash = hash_token(token);
    errc why = errc::storage;
    auto updated = store_.update_invitation(
        found->org_id, found->id,
        [&](const invitation_record& cur) -> scim::result<invitation_write> {
            if (cur.token_hash != hash || effective_status(cur, now) != "pending")
                return abort_with(why, errc::invalid_link);
            invitation_write w{cur, {}};
            w.record.history.clear();
            if (auto ok = finish(w.record, "declined", now, who.key(), reason); !ok)
                return abort_with(why, errc::invalid_link);
            w.effects.history.push_back({now, "declined", who.key(), std::string(reason)});
            w.effects.supersede_ref = ref_of("invitation", cur.id);
            return w;
        });
    if (!updated) {
        if (updated.error() == store_errc::aborted) return why;
        return from_store(updated.error());
    }
    return *updated;
}

std::size_t service::sweep() {
    auto now = clock_();
    auto due = store_.due_invitations(now, 500);
    if (!due) return 0;
    std::size_t changed = 0;
    for (const auto& d : *due) {
        auto org = dir_.find_org(d.org_id);
        auto r = store_.update_invitation(
            d.org_id, d.id, [&](const invitation_record& cur) -> scim::result<invitation_write> {
                invitation_write w{cur, {}};
                w.record.history.clear();
                if (cur.status != "pending") return scim::error::conflict("changed meanwhile");
                if (now >= cur.expires_ms) {
                    finish(w.record, "expired", now, "system", {});
                    w.effects.history.push_back({now, "expired", "system", {}});
                    w.effects.supersede_ref = ref_of("invitation", cur.id);
                    return w;
                }
                if (cur.reminder_at_ms == 0 || now < cur.reminder_at_ms || !org)
                    return scim::error::conflict("nothing due");
                w.record.reminder_at_ms = 0;
                w.record.modified_ms = now;
                w.effects.history.push_back(
                    {now, "reminded", "system", "expires " + mail::format_utc(cur.expires_ms)});
                queue_invitation_mail(w, *org, {}, true);
                return w;
            });
        if (r) ++changed;
    }
    return changed;
}

op_result<access_request_record> service::ask(std::string_view org_id,
                                              const verified_identity& who,
                                              std::string_view reason) {
    auto org = dir_.find_org(org_id);
    if (!org || org->status != "active") return errc::org_unavailable;
    // The admins decide on the email they are shown and the member is keyed on it: an email
    // the issuer did not verify is not good enough.
    if (!who.email_verified) return errc::wrong_account;
    auto email = normalize_email(who.email);
    if (!email) return email.error();
    if (dir_.is_member(org_id, *email)) return errc::already_member;
    auto now = clock_();
    auto managers = dir_.access_manager_emails(org_id);
    auto pending = store_.find_pending_request(org_id, who.key());
    if (!pending) return errc::storage;

    auto notify = [&](access_request_write& w, bool renotify) {
        auto review = cfg_.public_base_url + "/scim/v2/AccessRequests/" + w.record.id;
        for (const auto& m : managers) {
            w.effects.mail.push_back(make_mail(
                org_id, ref_of("access_request", w.record.id), "access_request", m,
                customized(*org, "access_request",
                           mail::render_access_request(org->name, *email, who.display_name,
                                                       w.record.reason, review, renotify),
                           {{"org", org->name},
                            {"email", *email},
                            {"name", who.display_name},
                            {"reason", w.record.reason},
                            {"link", review}}),
                now));
        }
    };
    if (*pending) {
        if (now - (*pending)->last_notified_ms < cfg_.settings.renotify_interval_s * 1000)
            return errc::renotify_too_soon;
        errc why = errc::storage;
        auto r = store_.update_access_request(
            org_id, (*pending)->id,
            [&](const access_request_record& cur) -> scim::result<access_request_write> {
                if (cur.status != "pending") return abort_with(why, errc::not_pending);
                access_request_write w{cur, {}};
                ++w.record.notify_count;
                w.record.last_notified_ms = now;
                w.record.modified_ms = now;
                if (!reason.empty()) w.record.reason = std::string(reason);
                w.effects.history.push_back({now, "renotified", who.key(), {}});
                notify(w, true);
                return w;
            });
        if (!r) return r.error() == store_errc::aborted ? why : from_store(r.error());
        return *r;
    }
    access_request_write w;
    auto& r = w.record;
    r.id = new_id();
    r.org_id = std::string(org_id);
    r.status = "pending";
    r.requester = who.key();
    r.email = *email;
    r.display_name = who.display_name;
    r.reason = std::string(reason);
    r.created_ms = r.modified_ms = r.last_notified_ms = now;
    w.effects.history.push_back({now, "accessRequested", who.key(), r.reason});
    notify(w, false);
    auto stored = store_.insert_access_request(std::move(w));
    if (!stored) return errc::storage;
    return *stored;
}

op_result<access_request_record> service::approve(std::string_view org_id,
                                                  std::string_view id,
                                                  std::string_view actor,
                                                  std::string_view role) {
    auto org = dir_.find_org(org_id);
    if (!org || org->status != "active") return errc::org_unavailable;
    if (!dir_.role_exists(org_id, role)) return errc::unknown_role;
    if (!dir_.can_grant(org_id, actor, role)) return errc::role_not_grantable;
    auto now = clock_();
    errc why = errc::storage;
    auto r = store_.update_access_request(
        org_id, id, [&](const access_request_record& cur) -> scim::result<access_request_write> {
            if (cur.status != "pending") return abort_with(why, errc::not_pending);
            access_request_write w{cur, {}};
            w.record.status = "approved";
            w.record.decided_by = std::string(actor);
            w.record.role = std::string(role);
            w.record.modified_ms = now;
            w.effects.history.push_back({now, "approved", std::string(actor), std::string(role)});
            w.effects.mail.push_back(make_mail(
                org_id, ref_of("access_request", cur.id), "access_granted", cur.email,
                customized(*org, "access_granted", mail::render_access_granted(org->name, role),
                           {{"org", org->name}, {"role", std::string(role)}}),
                now));
            return w;
        });
    if (!r) return r.error() == store_errc::aborted ? why : from_store(r.error());
    auto g = dir_.grant(org_id, identity_from_key(r->requester, r->email), "home",
                        {std::string(role)}, {});
    if (!g) return errc::org_unavailable;
    return *r;
}

op_result<access_request_record> service::deny(std::string_view org_id,
                                               std::string_view id,
                                               std::string_view actor,
                                               std::string_view reason) {
    auto org = dir_.find_org(org_id);
    if (!org) return errc::org_unavailable;
    auto now = clock_();
    errc why = errc::storage;
    auto r = store_.update_access_request(
        org_id, id, [&](const access_request_record& cur) -> scim::result<access_request_write> {
            if (cur.status != "pending") return abort_with(why, errc::not_pending);
            access_request_write w{cur, {}};
            w.record.status = "denied";
            w.record.decided_by = std::string(actor);
            w.record.deny_reason = std::string(reason);
            w.record.modified_ms = now;
            w.effects.history.push_back({now, "denied", std::string(actor), std::string(reason)});
            w.effects.mail.push_back(make_mail(
                org_id, ref_of("access_request", cur.id), "access_denied", cur.email,
                customized(*org, "access_denied", mail::render_access_denied(org->name, reason),
                           {{"org", org->name}, {"reason", std::string(reason)}}),
                now));
            return w;
        });
    if (!r) return r.error() == store_errc::aborted ? why : from_store(r.error());
    return *r;
}

op_result<std::vector<access_request_record>> service::list_requests(std::string_view org_id) {
    auto r = store_.list_access_requests(org_id);
    if (!r) return errc::storage;
    return *r;
}

op_result<access_request_record> service::get_request(std::string_view org_id,
                                                      std::string_view id) {
    auto r = store_.get_access_request(org_id, id);
    if (!r) return from_store(r.error());
    return *r;
}

}  // namespace orgscim::plugin::invitations
