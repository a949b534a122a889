// Run annotations (runs/annotations.hpp): the rules for tags and notes, partial updates, and a
// real SQLite file that keeps them across a reopen.
#include "runs/annotations.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace ailab::runs {
namespace {

using testing::TempFolder;

TEST(Annotations, TagsAreTrimmedAndDeduplicatedInOrder) {
    AnnotationsPatch patch;
    patch.tags = std::vector<std::string>{" best ", "seed-sweep", "best", "lr/0.1"};
    ASSERT_TRUE(validate_patch(patch));
    EXPECT_EQ(*patch.tags, (std::vector<std::string>{"best", "seed-sweep", "lr/0.1"}));
}

TEST(Annotations, BadTagsAndNotesAreRefusedWithTheRuleNamed) {
    auto refused = [](AnnotationsPatch patch) {
        auto valid = validate_patch(patch);
        return valid ? std::string() : valid.error().message;
    };
    AnnotationsPatch patch;
    patch.tags = std::vector<std::string>{"   "};
    EXPECT_EQ(refused(patch), "a tag cannot be empty");
    patch.tags = std::vector<std::string>{std::string(65, 'x')};
    EXPECT_NE(refused(patch).find("at most 64 bytes"), std::string::npos);
    patch.tags = std::vector<std::string>{"a,b"};
    EXPECT_NE(refused(patch).find("comma"), std::string::npos);
    patch.tags = std::vector<std::string>{"a\nb"};
    EXPECT_NE(refused(patch).find("control characters"), std::string::npos);
    patch.tags = std::vector<std::string>{};
    for (int i = 0; i < 33; ++i) patch.tags->push_back("t" + std::to_string(i));
    EXPECT_NE(refused(patch).find("at most 32 tags"), std::string::npos);
    AnnotationsPatch note;
    note.note = std::string(64 * 1024 + 1, 'n');
    EXPECT_NE(refused(note).find("64 KiB"), std::string::npos);
    note.note = std::string(64 * 1024, 'n');
    EXPECT_EQ(refused(note), "");
}

TEST(Annotations, PartialUpdatesKeepTheOtherFieldsAndSurviveAReopen) {
    TempFolder folder;
    auto file = folder.path() / "state" / "runs.db";
    {
        auto store = AnnotationStore::open(file);
        ASSERT_TRUE(store) << store.error().message;
        EXPECT_TRUE((*store)->get("r1").empty());
        AnnotationsPatch star;
        star.starred = true;
        ASSERT_TRUE((*store)->update("r1", "p/run1", star, "alice", 100.0));
        AnnotationsPatch tags;
        tags.tags = std::vector<std::string>{"best"};
        tags.note = "lr too high after epoch 3";
        auto stored = (*store)->update("r1", "p/run1", tags, "bob", 200.0);
        ASSERT_TRUE(stored);
        EXPECT_TRUE(stored->starred);
        EXPECT_EQ(stored->updated_by, "bob");
        AnnotationsPatch cleared;
        cleared.starred = false;
        cleared.tags = std::vector<std::string>{};
        cleared.note = "";
        ASSERT_TRUE((*store)->update("r2", "p/run2", cleared, "bob", 300.0));
        auto all = (*store)->all();
        ASSERT_EQ(all.size(), 1u);  // a blank record is not listed
        EXPECT_EQ(all[0].first, "r1");
    }
    auto reopened = AnnotationStore::open(file);
    ASSERT_TRUE(reopened);
    auto kept = (*reopened)->get("r1");
    EXPECT_TRUE(kept.starred);
    EXPECT_EQ(kept.tags, std::vector<std::string>{"best"});
    EXPECT_EQ(kept.note, "lr too high after epoch 3");
    EXPECT_EQ(kept.updated_by, "bob");
    ASSERT_TRUE(kept.updated_at);
    EXPECT_DOUBLE_EQ(*kept.updated_at, 200.0);
}

TEST(Annotations, AFileThatIsNoDatabaseIsAnError) {
    TempFolder folder;
    auto file = folder.path() / "runs.db";
    {
        std::ofstream out(file);
        out << "this is not an SQLite database, it is plain text and long enough to have a header..........";
    }
    auto store = AnnotationStore::open(file);
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("run annotations"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace ailab::runs
