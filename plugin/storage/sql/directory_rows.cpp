#include "sql/directory_rows.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace orgscim::plugin::sql {

namespace json = boost::json;

bool valid_org_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

std::vector<std::string> ancestors_of_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        const auto j = path.find('/', i);
        out.emplace_back(path.substr(i, j - i));
        i = j == std::string_view::npos ? path.size() : j;
    }
    if (!out.empty()) out.pop_back();
    return out;
}

std::string path_end(std::string_view path) {
    std::string out(path.substr(0, path.empty() ? 0 : path.size() - 1));
    out += '0';
    return out;
}

std::string strings_to_json(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return json::serialize(a);
}

std::vector<std::string> strings_from_json(std::string_view text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& s : v.as_array()) {
        if (s.is_string()) out.emplace_back(s.as_string());
    }
    return out;
}

json::object object_from_json(std::string_view text) {
    if (text == "{}") return {};  // nearly every org's settings: no parser to set up
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return {};
    return std::move(v.as_object());
}

}  // namespace orgscim::plugin::sql
