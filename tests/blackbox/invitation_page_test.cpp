// The invitee's page as a real browser shows it: headless Chromium (Debian's `chromium`) loads
// the link of an invitation from `orgscim serve` and dumps the DOM it built. Checks what the
// invitee reads, that values stay text (an organization name with markup builds no element),
// that internal ids never show, and that opening the page consumes nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <orgscim/testing/process.hpp>
#include <server_launcher.hpp>

#include "blackbox_helpers.hpp"

namespace {

using orgscim::testing::bearer;
using orgscim::testing::http_client;
using orgscim::testing::orgscim_server;
using ::testing::HasSubstr;
using ::testing::Not;
namespace json = boost::json;

const char* chromium_path() {
    for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
        if (std::filesystem::exists(p)) return p;
    }
    return nullptr;
}

// The DOM after Chromium loaded `url` and ran whatever the page holds.
std::string browser_dom(const std::string& url) {
    orgscim::testing::temp_dir profile;
    std::string err;
    auto [rc, dom] = orgscim::testing::run_command(
        {chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--user-data-dir=" + profile.path(), "--dump-dom", url},
        &err);
    EXPECT_EQ(rc, 0) << err;
    return dom;
}

TEST(invitation_page, chromium_shows_the_invitation_and_opening_it_consumes_nothing) {
    if (!chromium_path()) {
        if (std::getenv("CI")) FAIL() << "chromium missing: bash .ci/install-deps.sh test";
        GTEST_SKIP() << "chromium missing (apt-get install chromium)";
    }
    orgscim_server srv;
    const auto acme = srv.new_tenant("Acme <img src=x onerror=alert(1)>");
    http_client c("127.0.0.1", srv.port());
    auto created = c.request(
        "POST", "/scim/v2/Invitations", bearer(acme.token),
        R"({"kind":"member","email":"carol@example.com","roles":["Associate"],"sendEmail":false})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto inv = json::parse(created.body).as_object();
    const std::string id(inv.at("id").as_string());
    const std::string link(inv.at("link").as_string());
    ASSERT_THAT(link, HasSubstr("http://127.0.0.1:"));  // the server's own public base here

    const auto dom = browser_dom(link);
    EXPECT_THAT(dom, HasSubstr("<h1>Invitation to Acme &lt;img src=x onerror=alert(1)&gt;</h1>"));
    EXPECT_THAT(dom, Not(HasSubstr("<img")));  // the name stayed text
    EXPECT_THAT(dom, HasSubstr("You are invited to join"));
    EXPECT_THAT(dom, Not(HasSubstr("token:")));  // a provisioning secret's id is not a person
    EXPECT_THAT(dom, HasSubstr("Invited address: carol@example.com"));
    EXPECT_THAT(dom, HasSubstr("<li>Associate</li>"));
    EXPECT_THAT(dom, HasSubstr(" UTC."));
    EXPECT_THAT(dom, HasSubstr("action=\"" + link + "/accept\""));
    EXPECT_THAT(dom, HasSubstr("action=\"" + link + "/decline\""));

    // A mail scanner (or the invitee) opening the page twice changes nothing.
    browser_dom(link);
    auto still = c.request("GET", "/scim/v2/Invitations/" + id, bearer(acme.token));
    ASSERT_EQ(still.status, 200);
    EXPECT_EQ(json::parse(still.body).at("status").as_string(), "pending");

    // A link that is not valid: the same page whatever the reason.
    const auto bad = browser_dom(link.substr(0, link.size() - 4) + "AAAA");
    EXPECT_THAT(bad, HasSubstr("This invitation is not valid"));
    EXPECT_THAT(bad, Not(HasSubstr("carol@example.com")));
}

}  // namespace
