#include "base/json.hpp"

#include <cmath>
#include <vector>

namespace authwasm {
namespace {

// nlohmann's SAX interface, building the DOM ourselves: a duplicate member or nesting past
// `max_depth` stops the parse at once (so 5 million '[' cost one pass up to depth 33, not
// 5 million allocations), and no std::function callback machinery is linked into the wasm.
class StrictDomBuilder {
 public:
  StrictDomBuilder(Json& root, std::size_t max_depth) : root_(root), max_depth_(max_depth) {}

  const char* failure() const { return failure_; }

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(Json::number_integer_t v) { return add(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return add(v); }
  bool number_float(Json::number_float_t v, const Json::string_t&) { return add(v); }
  bool string(Json::string_t& v) { return add(std::move(v)); }
  bool binary(Json::binary_t&) { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(Json::string_t& name) {
    Json& object = *open_.back();
    if (object.find(name) != object.end()) return fail("duplicate member name in JSON object");
    member_ = &object[name];
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return fail("not valid JSON");
  }

 private:
  bool fail(const char* why) {
    if (!failure_) failure_ = why;
    return false;
  }

  Json* place(Json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    *member_ = std::move(value);
    return member_;
  }

  template <class T>
  bool add(T&& value) {
    place(Json(std::forward<T>(value)));
    return true;
  }

  bool open(Json&& container) {
    if (open_.size() >= max_depth_) return fail("JSON nested too deeply");
    open_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  Json& root_;
  std::size_t max_depth_;
  std::vector<Json*> open_;
  Json* member_ = nullptr;
  const char* failure_ = nullptr;
};

}  // namespace

Result<Json> parse_json(std::string_view text, std::size_t max_depth) {
  Json root;
  StrictDomBuilder builder(root, max_depth);
  const bool parsed = Json::sax_parse(text.begin(), text.end(), &builder);
  if (!parsed || builder.failure()) {
    return make_error(ErrorCode::invalid_json, builder.failure() ? builder.failure() : "not valid JSON");
  }
  return root;
}

Result<Json> parse_json_object(std::string_view text, std::size_t max_depth) {
  auto parsed = parse_json(text, max_depth);
  if (parsed && !parsed.value().is_object()) {
    return make_error(ErrorCode::invalid_json, "expected a JSON object");
  }
  return parsed;
}

Json object(std::initializer_list<Member> members) {
  Json out = Json::object();
  for (const auto& member : members) out[member.name] = member.value;
  return out;
}

std::string dump_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<std::string> get_string(const Json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get_ref<const std::string&>();
}

std::optional<double> get_number(const Json& object, const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long long> get_int(const Json& object, const char* name) {
  auto v = get_number(object, name);
  if (!v || *v < -9.0e15 || *v > 9.0e15) return std::nullopt;  // exactly representable range
  return static_cast<long long>(*v);
}

}  // namespace authwasm
