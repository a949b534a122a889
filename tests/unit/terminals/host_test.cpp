// The terminal host with real programs on real ptys, without the server: a fake WebSocket peer
// collects what a client would get; roots resolve through a test implementation of files::Roots.
#include "terminals/host.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <filesystem>
#include <thread>

#include "files/roots.hpp"

namespace ailab::terminals {
namespace {

using namespace std::chrono_literals;

class CollectingPeer final : public net::WebSocketPeer {
public:
    void send(net::SharedMessage message, net::FrameKind kind) override {
        std::lock_guard lock(mutex_);
        if (kind == net::FrameKind::text)
            texts_.push_back(*message);
        else if (!message->empty() && message->front() == '0')
            output_ += message->substr(1);
        else if (!message->empty() && message->front() == '2')
            exit_ = message->substr(1);
        changed_.notify_all();
    }
    std::size_t queued_bytes() const override { return 0; }
    void when_drained(std::size_t, std::function<void()> resume) override { resume(); }
    void close(net::CloseCode code, std::string) override {
        std::lock_guard lock(mutex_);
        closed_with_ = static_cast<int>(code);
        open_ = false;
        changed_.notify_all();
    }
    bool is_open() const override { return open_; }

    template <class Predicate>
    bool wait_for(Predicate predicate, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return predicate(*this); });
    }
    std::size_t output_size() const {
        std::lock_guard lock(mutex_);
        return output_.size();
    }
    std::string output() const {
        std::lock_guard lock(mutex_);
        return output_;
    }
    // Under the lock (from wait_for's predicate).
    const std::string& output_locked() const { return output_; }
    const std::string& exit_locked() const { return exit_; }
    int closed_locked() const { return closed_with_; }
    std::vector<std::string> texts() const {
        std::lock_guard lock(mutex_);
        return texts_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> texts_;
    std::string output_;
    std::string exit_;
    int closed_with_ = 0;
    std::atomic<bool> open_{true};
};

class TestRoots final : public files::Roots {
public:
    explicit TestRoots(std::filesystem::path folder) : folder_(std::move(folder)) {}
    core::Result<files::Root> resolve(std::string_view root) const override {
        if (root != "project:test") return core::Error::from_errno(ENOENT, "no such root");
        auto confined = core::ConfinedRoot::open(folder_);
        if (!confined) return confined.error();
        files::Root resolved;
        resolved.name = std::string(root);
        resolved.folder = std::make_shared<const core::ConfinedRoot>(std::move(*confined));
        return resolved;
    }

private:
    std::filesystem::path folder_;
};

class TerminalHostTest : public ::testing::Test {
protected:
    void SetUp() override {
        folder_ =
            std::filesystem::temp_directory_path() / ("ailab-terminals-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(folder_);
        roots_ = std::make_unique<TestRoots>(folder_);
    }
    void TearDown() override {
        host_.reset();
        std::filesystem::remove_all(folder_);
    }
    TerminalHost& host(Settings settings = {}) {
        host_ = std::make_unique<TerminalHost>(settings, roots_.get());
        host_->start();
        return *host_;
    }
    std::shared_ptr<CollectingPeer> attach(const TerminalInfo& info, std::shared_ptr<Terminal>* out = nullptr) {
        auto terminal = host_->find(info.id, "alice");
        EXPECT_TRUE(terminal);
        auto peer = std::make_shared<CollectingPeer>();
        terminal->attach(host_->next_client_id(), peer, AttachRequest{80, 24, 0});
        if (out) *out = terminal;
        return peer;
    }

    std::filesystem::path folder_;
    std::unique_ptr<TestRoots> roots_;
    std::unique_ptr<TerminalHost> host_;
};

TEST_F(TerminalHostTest, RunsInTheRootWithASaneEnvironmentAndNoInheritedDescriptors) {
    auto& terminals = host();
    OpenRequest request{"alice", "project:test",
                        "pwd; echo \"T=$TERM H=$HOME\"; env | grep -c AILAB_LEAK; ls /proc/self/fd | tr '\\n' ' '"};
    ::setenv("AILAB_LEAK", "secret", 1);  // Bad input: a server variable that must not reach the shell.
    auto opened = terminals.open(request);
    ::unsetenv("AILAB_LEAK");
    ASSERT_TRUE(opened) << opened.error().message;
    auto peer = attach(*opened);
    ASSERT_TRUE(peer->wait_for([](const CollectingPeer& p) { return !p.exit_locked().empty(); }));
    const auto output = peer->output();
    EXPECT_NE(output.find(std::filesystem::canonical(folder_).string()), std::string::npos) << output;
    EXPECT_NE(output.find("T=xterm-256color H=/"), std::string::npos) << output;
    EXPECT_NE(output.find("\r\n0\r\n"), std::string::npos) << output;  // grep counted no AILAB_LEAK
    // ls sees 0, 1, 2 and its own directory descriptor (3), nothing of the test process.
    EXPECT_TRUE(output.ends_with("\r\n0 1 2 3 ")) << output;
}

TEST_F(TerminalHostTest, ReportsTheExitStatusAndKeepsTheScrollback) {
    auto& terminals = host();
    auto opened = terminals.open({"alice", std::nullopt, "echo bye; exit 7"});
    ASSERT_TRUE(opened);
    auto peer = attach(*opened);
    std::string exit;
    ASSERT_TRUE(peer->wait_for([&](const CollectingPeer& p) {
        exit = p.exit_locked();
        return !exit.empty();
    }));
    EXPECT_EQ(boost::json::parse(exit).at("code").as_int64(), 7);
    // Still listed, exited, and a new client gets the scrollback and the exit.
    auto list = terminals.list("alice");
    ASSERT_EQ(list.size(), 1u);
    EXPECT_FALSE(list[0].running);
    auto late = attach(*opened);
    ASSERT_TRUE(late->wait_for([](const CollectingPeer& p) { return !p.exit_locked().empty(); }));
    EXPECT_NE(late->output().find("bye"), std::string::npos);
}

TEST_F(TerminalHostTest, CloseHangsUpAndOthersCannotSeeIt) {
    Settings settings;
    settings.admins = std::set<std::string>{"root"};
    auto& terminals = host(settings);
    auto opened = terminals.open({"alice", std::nullopt, "sleep 100"});
    ASSERT_TRUE(opened);
    // Bad input: another user, not an admin, asks for alice's terminal.
    EXPECT_FALSE(terminals.find(opened->id, "bob"));
    EXPECT_TRUE(terminals.list("bob").empty());
    EXPECT_FALSE(terminals.close(opened->id, "bob"));
    EXPECT_EQ(terminals.list("root").size(), 1u);  // an admin sees it
    std::shared_ptr<Terminal> terminal;
    auto peer = attach(*opened, &terminal);
    ASSERT_TRUE(terminals.close(opened->id, "alice"));
    EXPECT_TRUE(terminals.list("alice").empty());
    ASSERT_TRUE(peer->wait_for([](const CollectingPeer& p) { return p.closed_locked() == 1000; }));
    for (int wait = 0; wait < 100 && !terminal->is_reaped(); ++wait) std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(terminal->is_reaped());
    EXPECT_EQ(::kill(terminal->pid(), 0), -1);  // gone, and reaped
}

TEST_F(TerminalHostTest, RefusesPastMaxTerminalsAndUnknownRoots) {
    Settings settings;
    settings.max_terminals = 2;
    auto& terminals = host(settings);
    ASSERT_TRUE(terminals.open({"alice", std::nullopt, "sleep 100"}));
    ASSERT_TRUE(terminals.open({"alice", std::nullopt, "sleep 100"}));
    // Bad input: a third terminal, and a root that does not exist.
    auto third = terminals.open({"alice", std::nullopt, "sleep 100"});
    ASSERT_FALSE(third);
    EXPECT_TRUE(third.error().is(boost::system::errc::resource_unavailable_try_again));
    EXPECT_NE(third.error().message.find("max_terminals"), std::string::npos);
    auto unknown = terminals.open({"alice", "project:nope", std::nullopt});
    ASSERT_FALSE(unknown);
    EXPECT_TRUE(unknown.error().is(boost::system::errc::no_such_file_or_directory));
}

TEST_F(TerminalHostTest, StopsReadingForAClientThatDoesNotAcknowledge) {
    auto& terminals = host();
    auto opened = terminals.open({"alice", std::nullopt, "head -c 20000000 /dev/zero; echo done"});
    ASSERT_TRUE(opened);
    std::shared_ptr<Terminal> terminal;
    auto peer = attach(*opened, &terminal);
    ASSERT_TRUE(peer->wait_for([](const CollectingPeer& p) { return p.output_locked().size() > high_water_bytes; }));
    std::this_thread::sleep_for(300ms);
    // Bad input: a client that never acknowledges. Reading stops just past the high-water mark.
    const auto held = peer->output_size();
    EXPECT_LE(held, high_water_bytes + 2 * 64 * 1024);
    EXPECT_EQ(terminal->flow_state(), FlowState::paused);
    // Acknowledging everything resumes it; acknowledging as it comes gets the whole stream.
    std::int64_t acknowledged = 0;
    const auto client_acks = [&] {
        const auto now = static_cast<std::int64_t>(peer->output_size());
        if (now > acknowledged) {
            auto resumed = terminal->acknowledge(1, now);
            ASSERT_TRUE(resumed);
            if (*resumed == Resumed::yes) terminals.rearm(terminal);
            acknowledged = now;
        }
    };
    for (int round = 0; round < 4000 && peer->output_size() < 20000000 + 6; ++round) {
        client_acks();
        std::this_thread::sleep_for(2ms);
    }
    const auto output = peer->output();
    EXPECT_EQ(output.size(), 20000000u + 6u);  // the zeros and "done\r\n", nothing lost
    EXPECT_EQ(std::count(output.begin(), output.end(), '\0'), 20000000);
    EXPECT_NE(output.find("done"), std::string::npos);
}

}  // namespace
}  // namespace ailab::terminals

namespace ailab::terminals {
namespace {

TEST_F(TerminalHostTest, InputThePtyCannotTakeAtOnceIsQueuedAndWritten) {
    auto& terminals = host();
    auto opened =
        terminals.open({"alice", std::nullopt, "stty raw -echo; echo READY; sleep 1; head -c 300000 | wc -c"});
    ASSERT_TRUE(opened);
    std::shared_ptr<Terminal> terminal;
    auto peer = attach(*opened, &terminal);
    ASSERT_TRUE(
        peer->wait_for([](const CollectingPeer& p) { return p.output_locked().find("READY") != std::string::npos; }));
    // Bad input: far more input than the pty buffers while the program does not read.
    const std::string paste(300'000, 'p');
    EXPECT_EQ(terminal->input(1, paste), InputQueued::yes);
    terminals.rearm(terminal);
    EXPECT_TRUE(peer->wait_for([](const CollectingPeer& p) {
        return p.output_locked().find("300000") != std::string::npos;
    })) << peer->output();
}

}  // namespace
}  // namespace ailab::terminals

namespace ailab::terminals {
namespace {

TEST_F(TerminalHostTest, RunsInAFolderBeneathTheRootAndNowhereElse) {
    auto& terminals = host();
    std::filesystem::create_directories(folder_ / "src" / "deep");
    std::filesystem::create_directory_symlink("/etc", folder_ / "escape");
    auto opened = terminals.open({"alice", "project:test", "pwd", 80, 24, "src/deep"});
    ASSERT_TRUE(opened) << opened.error().message;
    auto peer = attach(*opened);
    ASSERT_TRUE(peer->wait_for([](const CollectingPeer& p) { return !p.exit_locked().empty(); }));
    EXPECT_NE(peer->output().find(std::filesystem::canonical(folder_ / "src" / "deep").string()), std::string::npos);
    // Bad input: paths that climb out, a link that leads out, a file, a path without a root.
    EXPECT_FALSE(terminals.open({"alice", "project:test", "pwd", 80, 24, "../.."}));
    auto link = terminals.open({"alice", "project:test", "pwd", 80, 24, "escape"});
    ASSERT_FALSE(link);
    EXPECT_TRUE(link.error().is(boost::system::errc::cross_device_link)) << link.error().message;
    EXPECT_FALSE(terminals.open({"alice", std::nullopt, "pwd", 80, 24, "src"}));
}

}  // namespace
}  // namespace ailab::terminals
