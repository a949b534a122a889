#include "client/command_line.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "client/job_request.hpp"

using namespace ailab::client;

namespace {

// Parses argv ("ailab" first) with the client's subcommands registered, as main_command does.
struct Parsed {
    CLI::App cli{"test", "ailab"};
    std::unique_ptr<CommandLine> commands = add_commands(cli);
    std::string error;  // the CLI11 error, if parsing failed

    explicit Parsed(std::vector<std::string> args) {
        std::vector<const char*> argv{"ailab"};
        for (const auto& arg : args) argv.push_back(arg.c_str());
        try {
            cli.parse(static_cast<int>(argv.size()), argv.data());
        } catch (const CLI::ParseError& parse_error) {
            error = parse_error.what();
            if (error.empty()) error = "parse error";
        }
    }
};

}  // namespace

TEST(CommandLine, SubmitTakesEveryOptionAndTheCommandAfterTheDashes) {
    Parsed parsed({"submit", "--server",   "http://a:1", "--name",  "train", "--gpu-ids", "0,2",  "--group",
                   "g",      "--priority", "5",          "--after", "3",     "--after",   "4",    "--env",
                   "A=1",    "--env",      "B=x=y",      "--time",  "1h30m", "--dir",     "/tmp", "--follow",
                   "--",     "python",     "train.py",   "--lr",    "3",     "--",        "x"});
    ASSERT_EQ(parsed.error, "");
    EXPECT_EQ(parsed.commands->chosen(), ClientCommand::submit);
    const auto& options = parsed.commands->submit();
    EXPECT_EQ(options.server, "http://a:1");
    EXPECT_EQ(options.after, (std::vector<std::string>{"3", "4"}));
    EXPECT_EQ(options.env, (std::vector<std::string>{"A=1", "B=x=y"}));
    EXPECT_TRUE(options.follow);
    // The job's own flags, and a second "--", belong to the job.
    EXPECT_EQ(options.command, (std::vector<std::string>{"python", "train.py", "--lr", "3", "--", "x"}));

    auto request = prepare_job_request(options).value();
    EXPECT_EQ(request.time_limit_s.value(), 5400);
    auto body = boost::json::parse(job_request_json(request)).as_object();
    EXPECT_EQ(body.at("command").as_array().size(), 6u);
    EXPECT_EQ(body.at("gpu_ids").as_array(), (boost::json::array{0, 2}));
    EXPECT_FALSE(body.contains("gpus"));
    EXPECT_EQ(body.at("after").as_array(), (boost::json::array{3, 4}));
    EXPECT_EQ(body.at("env").at("B").as_string(), "x=y");
    EXPECT_EQ(body.at("priority").as_int64(), 5);
    EXPECT_EQ(body.at("time_limit_s").as_int64(), 5400);
    EXPECT_EQ(body.at("name").as_string(), "train");
}

TEST(CommandLine, WithoutDashesTheFirstPositionalStartsTheCommand) {
    Parsed parsed({"submit", "--gpus", "0", "python", "-u", "train.py", "--gpus", "8"});
    ASSERT_EQ(parsed.error, "");
    const auto& options = parsed.commands->submit();
    EXPECT_EQ(options.gpus.value(), 0);  // a CPU job, not "no value"
    EXPECT_EQ(options.command, (std::vector<std::string>{"python", "-u", "train.py", "--gpus", "8"}));
    auto body = boost::json::parse(job_request_json(prepare_job_request(options).value())).as_object();
    EXPECT_EQ(body.at("gpus").as_int64(), 0);
    EXPECT_FALSE(body.contains("time_limit_s"));  // not given: the server's default, not ours
    EXPECT_FALSE(body.contains("snapshot"));
}

TEST(CommandLine, RefusesContradictionsAndMissingParts) {
    // Bad input: both GPU forms, both --project and --dir, no command, an unknown option, login
    // without a URL, --insecure with --fingerprint, logs without an id.
    EXPECT_NE(Parsed({"submit", "--gpus", "1", "--gpu-ids", "0", "--", "x"}).error, "");
    EXPECT_NE(Parsed({"submit", "--project", "p", "--dir", ".", "--", "x"}).error, "");
    EXPECT_NE(Parsed({"submit"}).error, "");
    EXPECT_NE(Parsed({"submit", "--bogus", "--", "x"}).error, "");
    EXPECT_NE(Parsed({"login"}).error, "");
    EXPECT_NE(Parsed({"login", "https://a", "--insecure", "--fingerprint", "00"}).error, "");
    EXPECT_NE(Parsed({"logs", "-f"}).error, "");
}

TEST(CommandLine, BadValuesAreUsageErrorsBeforeAnythingIsSent) {
    SubmitOptions options;
    options.command = {"true"};
    // Bad input: each a value the server would never get to see.
    auto with = [&](auto change) {
        SubmitOptions copy = options;
        change(copy);
        return prepare_job_request(copy);
    };
    EXPECT_FALSE(with([](SubmitOptions& o) { o.time = "2x"; }));
    EXPECT_FALSE(with([](SubmitOptions& o) { o.after = {"abc"}; }));
    EXPECT_FALSE(with([](SubmitOptions& o) { o.env = {"1BAD=x"}; }));
    EXPECT_FALSE(with([](SubmitOptions& o) { o.gpu_ids = "0,0"; }));
    EXPECT_FALSE(with([](SubmitOptions& o) { o.gpus = -1; }));
    EXPECT_FALSE(with([](SubmitOptions& o) { o.command = {""}; }));
    EXPECT_TRUE(with([](SubmitOptions& o) { o.env = {"A=1", "A=2"}; }));
    EXPECT_EQ(with([](SubmitOptions& o) { o.env = {"A=1", "A=2"}; })->env.at("A"), "2");  // the last one wins
}

TEST(Sweep, EveryCombinationInNestedLoopOrderWithItsValuesEverywhere) {
    Parsed parsed({"submit", "--sweep", "lr=0.1,0.01", "--sweep", "bs=32,64,128", "--env", "LR={lr}", "--env",
                   "FIXED=1", "--", "python", "train.py", "--lr", "{lr}", "--bs={bs}", "--tag", "{lr}-{lr}"});
    ASSERT_EQ(parsed.error, "");
    auto request = prepare_job_request(parsed.commands->submit()).value();
    ASSERT_EQ(request.sweeps.size(), 2u);
    const auto jobs = expand_sweeps(request);
    ASSERT_EQ(jobs.size(), 6u);
    // The first sweep varies slowest; the name shows the combination after the program's name.
    EXPECT_EQ(jobs[0].command,
              (std::vector<std::string>{"python", "train.py", "--lr", "0.1", "--bs=32", "--tag", "0.1-0.1"}));
    EXPECT_EQ(jobs[0].name, "python lr=0.1 bs=32");
    EXPECT_EQ(jobs[1].name, "python lr=0.1 bs=64");
    EXPECT_EQ(jobs[3].name, "python lr=0.01 bs=32");
    EXPECT_EQ(jobs[5].command[4], "--bs=128");
    EXPECT_EQ(jobs[5].env.at("LR"), "0.01");
    EXPECT_EQ(jobs[5].env.at("FIXED"), "1");
    EXPECT_TRUE(jobs[5].sweeps.empty());
    // One batch body, each job as a single submit's body.
    auto body = boost::json::parse(job_batch_json(jobs)).as_object();
    ASSERT_EQ(body.size(), 1u);
    const auto& list = body.at("jobs").as_array();
    ASSERT_EQ(list.size(), 6u);
    EXPECT_EQ(list[4].at("command").at(4).as_string(), "--bs=64");
    EXPECT_EQ(list[4].at("name").as_string(), "python lr=0.01 bs=64");
    EXPECT_EQ(list[4].at("env").at("LR").as_string(), "0.01");

    // --name with every placeholder is the name; with some or none, the combination follows it.
    request.name = "run-{lr}-{bs}";
    EXPECT_EQ(expand_sweeps(request)[2].name, "run-0.1-128");
    request.name = "run-{lr}";
    EXPECT_EQ(expand_sweeps(request)[2].name, "run-0.1 lr=0.1 bs=128");
    // Without sweeps the request is the one job.
    request.sweeps.clear();
    EXPECT_EQ(expand_sweeps(request).size(), 1u);
    EXPECT_EQ(expand_sweeps(request)[0].name, "run-{lr}");
}

TEST(Sweep, BadSweepsAreUsageErrorsNamingTheProblem) {
    // Bad input: no '=', a bad name, no values, an empty value, a value twice, a name twice, a
    // placeholder that is nowhere, --follow, more combinations than one batch takes.
    auto refused = [](std::vector<std::string> sweeps, std::vector<std::string> command = {"echo", "{a}"},
                      bool follow = false) {
        SubmitOptions options;
        options.command = std::move(command);
        options.sweep = std::move(sweeps);
        options.follow = follow;
        auto request = prepare_job_request(options);
        return request ? std::string() : request.error().message;
    };
    EXPECT_NE(refused({"a"}).find("NAME=V1,V2"), std::string::npos);
    EXPECT_NE(refused({"1a=x"}).find("bad --sweep name"), std::string::npos);
    EXPECT_NE(refused({"a="}).find("has no values"), std::string::npos);
    EXPECT_NE(refused({"a=1,,2"}).find("empty value"), std::string::npos);
    EXPECT_NE(refused({"a=1,"}).find("empty value"), std::string::npos);
    EXPECT_NE(refused({"a=1,2,1"}).find("\"1\" twice"), std::string::npos);
    EXPECT_NE(refused({"a=1", "a=2"}).find("given twice"), std::string::npos);
    EXPECT_NE(refused({"b=1,2"}).find("{b} is in neither"), std::string::npos);
    EXPECT_NE(refused({"a=1,2"}, {"echo", "{a}"}, true).find("--follow"), std::string::npos);
    std::string many = "a=0";
    for (int i = 1; i < 40; ++i) many += "," + std::to_string(i);
    std::string more = "b=0";
    for (int i = 1; i < 26; ++i) more += "," + std::to_string(i);
    EXPECT_EQ(refused({many, "b=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24"}, {"echo", "{a}{b}"}),
              "");  // 40 × 25 = 1000: just fits
    EXPECT_NE(refused({many, more}, {"echo", "{a}{b}"}).find("more than 1000 jobs"), std::string::npos);
    // A value may hold '=' and spaces, and a placeholder in an --env value alone is enough.
    SubmitOptions options;
    options.command = {"train"};
    options.env = {"SEED={seed}"};
    options.sweep = {"seed=1,x=y z"};
    auto jobs = expand_sweeps(prepare_job_request(options).value());
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[1].env.at("SEED"), "x=y z");
    EXPECT_EQ(jobs[1].name, "train seed=x=y z");
}

TEST(CommandLine, TheOtherCommands) {
    Parsed login({"login", "https://gpu1:12345", "--user", "ada", "--password-stdin", "--fingerprint", "AB"});
    ASSERT_EQ(login.error, "");
    EXPECT_EQ(login.commands->chosen(), ClientCommand::login);
    EXPECT_EQ(login.commands->login().user, "ada");
    EXPECT_TRUE(login.commands->login().password_stdin);
    EXPECT_EQ(login.commands->login().fingerprint, "AB");

    Parsed logs({"logs", "-f", "12"});
    ASSERT_EQ(logs.error, "");
    EXPECT_TRUE(logs.commands->logs().follow);
    EXPECT_EQ(logs.commands->logs().id, "12");

    Parsed cancel({"cancel", "3", "4", "5"});
    ASSERT_EQ(cancel.error, "");
    EXPECT_EQ(cancel.commands->cancel().ids, (std::vector<std::string>{"3", "4", "5"}));

    Parsed jobs({"jobs", "--all", "--json"});
    ASSERT_EQ(jobs.error, "");
    EXPECT_TRUE(jobs.commands->jobs().all && jobs.commands->jobs().json);

    Parsed restart({"restart", "7"});
    EXPECT_EQ(restart.commands->chosen(), ClientCommand::restart);

    // Nothing of the client's chosen: run() leaves it to the caller.
    Parsed none({});
    EXPECT_EQ(none.commands->chosen(), ClientCommand::none);
    EXPECT_FALSE(none.commands->run().has_value());
}
