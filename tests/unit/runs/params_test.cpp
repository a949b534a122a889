// Params: config.json and hparams.yaml flattened to dotted keys (runs/params.hpp), the YAML reader
// (runs/yaml.hpp, libyaml) and what bad files get: an error text, never a crash or a partial mix.
#include "runs/params.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "runs/yaml.hpp"

namespace ailab::runs {
namespace {

boost::json::value parsed(const std::string& json) { return boost::json::parse(json); }

FlatParams from_json(const std::string& text) { return flatten_run_params(text, std::nullopt); }
FlatParams from_yaml(const std::string& text) { return flatten_run_params(std::nullopt, text); }

TEST(Params, NestedObjectsBecomeDottedKeys) {
    auto flat = from_json(R"({"optimizer":{"lr":0.001,"betas":[0.9,0.999],"sched":{"name":"cosine"}},"seed":3})");
    EXPECT_EQ(flat.error, "");
    EXPECT_EQ(params_json(flat),
              R"({"optimizer.betas":[9E-1,9.99E-1],"optimizer.lr":1E-3,"optimizer.sched.name":"cosine","seed":3})");
}

TEST(Params, ListsOfObjectsAreFlattenedByIndexAndEmptyContainersKept) {
    auto flat = from_json(R"({"layers":[{"width":64},{"width":128}],"aug":{},"tags":[]})");
    EXPECT_EQ(flat.values.at("layers.0.width"), parsed("64"));
    EXPECT_EQ(flat.values.at("layers.1.width"), parsed("128"));
    EXPECT_EQ(flat.values.at("aug"), parsed("{}"));
    EXPECT_EQ(flat.values.at("tags"), parsed("[]"));
    EXPECT_EQ(flat.values.size(), 4u);
}

TEST(Params, ScalarTypesAreKept) {
    auto flat = from_json(R"({"a":true,"b":null,"c":"x","d":-2,"e":1.5})");
    EXPECT_TRUE(flat.values.at("a").is_bool());
    EXPECT_TRUE(flat.values.at("b").is_null());
    EXPECT_TRUE(flat.values.at("c").is_string());
    EXPECT_TRUE(flat.values.at("d").is_int64());
    EXPECT_TRUE(flat.values.at("e").is_double());
}

// Found by fuzz_params: Boost.JSON reads a number past double's range as infinity, and JSON has
// no way to write it back, so params_json was not JSON. Such values keep a name instead.
TEST(Params, NumbersPastDoublesRangeStayValidJson) {
    const auto text = params_json(from_json(R"({"lr":1e999,"low":-1e999,"list":[1,2e400],"ok":0.5})"));
    EXPECT_EQ(text, R"({"list":[1,"inf"],"low":"-inf","lr":"inf","ok":5E-1})");
    EXPECT_EQ(params_json(from_json("13333333333333333e333333333")), R"({"value":"inf"})");
    boost::system::error_code error;
    EXPECT_TRUE(boost::json::parse(text, error).is_object()) << error.message();
}

TEST(Params, ATopLevelNonObjectIsOneValue) {
    EXPECT_EQ(params_json(from_json("[1,2]")), R"({"value":[1,2]})");
    EXPECT_EQ(params_json(from_json("42")), R"({"value":42})");
}

TEST(Params, ConfigJsonWinsOverHparamsYamlAndAClashIsNotMerged) {
    auto flat = flatten_run_params(R"({"lr":0.1,"a":{"b":1},"a.b":2})", "lr: 0.5\nbatch_size: 32\n");
    EXPECT_EQ(flat.values.at("lr"), parsed("0.1"));
    EXPECT_EQ(flat.values.at("batch_size"), parsed("32"));
    EXPECT_EQ(flat.values.at("a.b"), parsed("1"));  // the first spelling read wins
}

TEST(Params, BrokenFilesGiveAnErrorAndNoParams) {
    auto flat = flatten_run_params(R"({"lr": 0.1,)", "a: [1, 2\n");
    EXPECT_TRUE(flat.values.empty());
    EXPECT_NE(flat.error.find("config.json is not valid JSON"), std::string::npos) << flat.error;
    EXPECT_NE(flat.error.find("hparams.yaml: line"), std::string::npos) << flat.error;
    EXPECT_EQ(params_json(flat), "{}");
}

TEST(Params, LimitsCountWhatIsLeftOut) {
    std::string json = "{";
    for (int i = 0; i < 2100; ++i) json += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":1";
    json += "}";
    auto flat = from_json(json);
    EXPECT_EQ(flat.values.size(), max_param_keys);
    EXPECT_EQ(flat.truncated, 100u);

    std::string deep = "1";
    for (int i = 0; i < 40; ++i) deep = "{\"d\":" + deep + "}";
    auto nested = from_json(deep);  // 40 levels: beyond max_param_depth, within JSON's parse depth
    EXPECT_TRUE(nested.values.empty());
    EXPECT_EQ(nested.truncated, 1u);

    auto long_key = from_json("{\"" + std::string(300, 'k') + "\":1}");
    ASSERT_EQ(long_key.values.size(), 1u);
    EXPECT_EQ(long_key.values.begin()->key().size(), max_param_key_bytes);
}

TEST(Yaml, LightningHparamsFile) {
    // What Lightning's save_hparams_to_yaml writes (PyYAML's dump), tags and all.
    auto flat = from_yaml(R"(batch_size: 64
lr: 1.0e-05
model:
  name: resnet50
  dropout: 0.1
  layers: !!python/tuple
  - 3
  - 4
use_amp: true
scheduler: null
note: 'yes'
answer: yes
hex: 0x1F
inf: .inf
)");
    EXPECT_EQ(flat.error, "");
    EXPECT_EQ(flat.values.at("batch_size"), parsed("64"));
    EXPECT_EQ(flat.values.at("lr"), parsed("1e-05"));
    EXPECT_EQ(flat.values.at("model.name"), parsed("\"resnet50\""));
    EXPECT_EQ(flat.values.at("model.layers"), parsed("[3,4]"));
    EXPECT_EQ(flat.values.at("use_amp"), parsed("true"));
    EXPECT_TRUE(flat.values.at("scheduler").is_null());
    EXPECT_EQ(flat.values.at("note"), parsed("\"yes\""));    // quoted: a string
    EXPECT_EQ(flat.values.at("answer"), parsed("\"yes\""));  // YAML 1.2: yes is no bool
    EXPECT_EQ(flat.values.at("hex"), parsed("31"));
    EXPECT_EQ(flat.values.at("inf"), parsed("\".inf\""));  // JSON has no infinity: its text
}

TEST(Yaml, ExplicitTagsQuotesAnchorsAndMerges) {
    auto value = parse_yaml(R"(
base: &base {lr: 0.1, wd: 0.01}
run:
  <<: *base
  lr: 0.2
as_text: !!str 123
quoted: "0.5"
block: |
  two
  lines
)");
    ASSERT_TRUE(value) << value.error().message;
    const auto& object = value->as_object();
    EXPECT_EQ(object.at("run"), parsed(R"({"lr":0.2,"wd":0.01})"));
    EXPECT_EQ(object.at("as_text"), parsed("\"123\""));
    EXPECT_EQ(object.at("quoted"), parsed("\"0.5\""));
    EXPECT_EQ(object.at("block"), parsed("\"two\\nlines\\n\""));
}

TEST(Yaml, EmptyAndCommentOnlyFilesAreNull) {
    EXPECT_TRUE(parse_yaml("")->is_null());
    EXPECT_TRUE(parse_yaml("# nothing here\n")->is_null());
    EXPECT_TRUE(from_yaml("").values.empty());
}

TEST(Yaml, ErrorsNameTheLine) {
    auto value = parse_yaml("a: 1\nb: [2, 3\nc: 4\n");
    ASSERT_FALSE(value);
    EXPECT_NE(value.error().message.find("line "), std::string::npos) << value.error().message;
    EXPECT_FALSE(parse_yaml("a: *missing\n"));
}

TEST(Yaml, AliasBombsAndDeepNestingAreRefused) {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char previous = 'a';
    for (char name = 'b'; name <= 'h'; ++name) {
        bomb += std::string(1, name) + ": &" + name + " [";
        for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + previous;
        bomb += "]\n";
        previous = name;
    }
    auto exploded = parse_yaml(bomb);
    ASSERT_FALSE(exploded);
    EXPECT_NE(exploded.error().message.find("10000 nodes"), std::string::npos) << exploded.error().message;

    std::string deep(100, '[');
    deep += std::string(100, ']');
    EXPECT_FALSE(parse_yaml(deep));
}

}  // namespace
}  // namespace ailab::runs
