// hnswlib (the C++ library itself, built with the compiler flags given by build-hnswlib-bench.sh) on a TEXMEX split,
// measured the way benchmarks/ImageSearch.Ann measures us: build on --threads threads, then queries one at a time on
// one thread over an ef sweep. Prints the lines that `ImageSearch.Ann scale --peer-cmd` reads (NAME: --name, default
// hnswlib-native), as benchmarks/peers/hnswlib_scale.py does for the Python build:
//   peer NAME build_s B
//   peer NAME bytes_per_vector X      (level-0 block + upper-level link lists + label map estimate, from the index)
//   peer NAME ef E recall@10 R qps Q
// Why a C++ bench beside the Python one: Debian's python3-hnswlib is compiled for baseline x86-64 (SSE only, no AVX),
// while a user who builds hnswlib from source gets -march=native; this bench measures that stronger peer, and runs
// where no Python hnswlib is installed.
#include <hnswlib/hnswlib.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

static std::vector<float> ReadFvecs(const std::string& path, size_t& n, size_t& dim, size_t limit) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    int d = 0;
    f.read(reinterpret_cast<char*>(&d), 4);
    if (d <= 0) throw std::runtime_error("bad dimension in " + path);
    f.seekg(0, std::ios::end);
    size_t bytes = static_cast<size_t>(f.tellg());
    size_t rows = bytes / (4 * (static_cast<size_t>(d) + 1));
    n = std::min(rows, limit);
    dim = static_cast<size_t>(d);
    std::vector<float> data(n * dim);
    f.seekg(0);
    std::vector<float> row(dim + 1);
    for (size_t i = 0; i < n; i++) {
        f.read(reinterpret_cast<char*>(row.data()), 4 * (dim + 1));
        std::memcpy(&data[i * dim], &row[1], 4 * dim);
    }
    return data;
}

static std::vector<int> ReadIvecs(const std::string& path, size_t& n, size_t& dim) {
    size_t dummyLimit = static_cast<size_t>(-1);
    std::vector<float> raw = ReadFvecs(path, n, dim, dummyLimit);
    std::vector<int> out(raw.size());
    std::memcpy(out.data(), raw.data(), raw.size() * 4);
    return out;
}

static void Normalize(std::vector<float>& v, size_t n, size_t dim) {
    for (size_t i = 0; i < n; i++) {
        float* r = &v[i * dim];
        double s = 0;
        for (size_t j = 0; j < dim; j++) s += static_cast<double>(r[j]) * r[j];
        float inv = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
        for (size_t j = 0; j < dim; j++) r[j] *= inv;
    }
}

int main(int argc, char** argv) {
    std::string dir, name = "hnswlib-native";
    size_t M = 16, efc = 200, threads = std::thread::hardware_concurrency(), maxQueries = static_cast<size_t>(-1);
    std::string efs = "10,20,40,80,120,200,300,400,600,800", metric = "cosine";
    // DIR may come anywhere (ImageSearch.Ann scale --peer-cmd appends it); --target is accepted and ignored (the
    // caller interpolates the sweep).
    for (int i = 1; i < argc; i++) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) { dir = k; continue; }
        if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", k.c_str()); return 2; }
        std::string v = argv[++i];
        if (k == "--M") M = std::stoul(v);
        else if (k == "--efc") efc = std::stoul(v);
        else if (k == "--efs") efs = v;
        else if (k == "--threads") threads = std::stoul(v);
        else if (k == "--metric") metric = v;
        else if (k == "--queries") maxQueries = std::stoul(v);
        else if (k == "--name") name = v;
        else if (k == "--target") {}
        else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
    }
    if (dir.empty()) {
        std::fprintf(stderr, "usage: hnswlib_bench DIR [--M 16] [--efc 200] [--efs 10,20,...] [--threads N] [--metric cosine|l2] [--queries N] [--name hnswlib-native]\n");
        return 2;
    }
    size_t n, dim, qn, qdim, gn, gdim;
    std::vector<float> base = ReadFvecs(dir + "/base.fvecs", n, dim, static_cast<size_t>(-1));
    std::vector<float> query = ReadFvecs(dir + "/query.fvecs", qn, qdim, maxQueries);
    std::vector<int> gt = ReadIvecs(dir + "/gt.ivecs", gn, gdim);
    if (qdim != dim || gn < qn || gdim < 10) throw std::runtime_error("base, query and gt do not match");
    bool cosine = metric == "cosine";
    if (cosine) { Normalize(base, n, dim); Normalize(query, qn, dim); }
    std::printf("# hnswlib 0.6.2 C++, AVX512 %d, AVX %d; base %zux%zu, queries %zu, M %zu, efc %zu, threads %zu, %s\n",
#if defined(USE_AVX512)
        1,
#else
        0,
#endif
#if defined(USE_AVX)
        1,
#else
        0,
#endif
        n, dim, qn, M, efc, threads, metric.c_str());

    hnswlib::SpaceInterface<float>* space = cosine
        ? static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::InnerProductSpace(dim))
        : static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::L2Space(dim));
    auto* index = new hnswlib::HierarchicalNSW<float>(space, n, M, efc, 100);
    auto t0 = std::chrono::steady_clock::now();
    // As hnswlib's Python binding: the first point alone, then the rest on every thread.
    index->addPoint(&base[0], 0);
    std::atomic<size_t> next(1);
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; t++) {
        pool.emplace_back([&]() {
            for (size_t i = next++; i < n; i = next++) index->addPoint(&base[i * dim], i);
        });
    }
    for (auto& t : pool) t.join();
    double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("peer %s build_s %.3f\n", name.c_str(), build);
    double upper = 0;
    for (size_t i = 0; i < n; i++) upper += index->element_levels_[i] > 0 ? index->size_links_per_element_ * index->element_levels_[i] : 0;
    // Level-0 block (links, vector, label) + upper link lists + the label map entry (~ 2 words per element).
    double bytes = static_cast<double>(index->size_data_per_element_) + upper / n + 2 * sizeof(size_t) + sizeof(int) + sizeof(void*);
    std::printf("peer %s bytes_per_vector %.1f\n", name.c_str(), bytes);
    std::fflush(stdout);

    // One untimed pass at the first ef, as ImageSearch.Ann scale does for ours (there it lets the JIT reach its
    // optimised code): both sides then start the sweep with the same warm caches.
    index->setEf(std::stoul(efs.substr(0, efs.find(','))));
    for (size_t q = 0; q < qn; q++) index->searchKnn(&query[q * dim], 10);
    size_t start = 0;
    while (start < efs.size()) {
        size_t comma = efs.find(',', start);
        if (comma == std::string::npos) comma = efs.size();
        size_t ef = std::stoul(efs.substr(start, comma - start));
        start = comma + 1;
        index->setEf(ef);
        std::vector<std::vector<size_t>> results(qn);
        auto q0 = std::chrono::steady_clock::now();
        for (size_t q = 0; q < qn; q++) {
            auto r = index->searchKnn(&query[q * dim], 10);
            results[q].reserve(10);
            while (!r.empty()) { results[q].push_back(r.top().second); r.pop(); }
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - q0).count();
        double hits = 0;
        for (size_t q = 0; q < qn; q++) {
            std::unordered_set<int> truth(&gt[q * gdim], &gt[q * gdim] + 10);
            for (size_t id : results[q]) hits += truth.count(static_cast<int>(id));
        }
        std::printf("peer %s ef %zu recall@10 %.4f qps %.1f\n", name.c_str(), ef, hits / (10.0 * qn), qn / secs);
        std::fflush(stdout);
    }
    delete index;
    delete space;
    return 0;
}
