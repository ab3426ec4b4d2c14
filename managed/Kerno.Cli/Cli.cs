using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text.Json;

namespace Kerno.Cli;

/// <summary>
/// What every kerno command shares: exit codes (0 ok, 1 a check failed, 2 usage or input errors), one-line errors
/// (stack traces only with --verbose), and examples under --help.
/// </summary>
internal static class Cli
{
    public const int Ok = 0;
    public const int CheckFailed = 1;
    public const int UsageError = 2;

    /// <summary>--verbose on every command: stack traces with errors.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose") { Description = "Show stack traces with errors", Recursive = true };

    private static readonly Dictionary<Command, string[]> ExamplesByCommand = new();

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// <c>--json [FILE]</c>, the same on every command that reports numbers: alone, JSON on stdout instead of text;
    /// with FILE, text as usual and JSON written there.
    /// </summary>
    public static Option<string?> JsonOption() => new("--json")
    {
        Description = "Print the results as JSON instead of text; with FILE, write them there and print text as usual",
        Arity = ArgumentArity.ZeroOrOne,
        HelpName = "FILE",
    };

    /// <summary>Where <see cref="JsonOption"/> sends JSON: (given, FILE or null for stdout).</summary>
    public static (bool Given, string? File) JsonTarget(ParseResult parse, Option<string?> json) => (parse.GetResult(json) is not null, parse.GetValue(json));

    /// <summary>Writes <paramref name="report"/> as indented JSON to <paramref name="file"/>, or stdout when null.</summary>
    public static void WriteJson(object report, string? file)
    {
        string text = JsonSerializer.Serialize(report, Indented);
        if (file is null)
            Console.Out.WriteLine(text);
        else
            File.WriteAllText(file, text + "\n");
    }

    /// <summary>Registers examples printed after the command's --help.</summary>
    public static T WithExamples<T>(this T command, params string[] examples) where T : Command
    {
        ExamplesByCommand[command] = examples;
        return command;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        root.Options.Add(Verbose);
        foreach (HelpOption help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction inner)
                help.Action = new ExamplesHelpAction(inner);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not ExamplesHelpAction)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
                Console.Error.WriteLine($"error: {OneLine(error.Message)}");
            string path = string.Join(' ', Path(parse.CommandResult.Command));
            Console.Error.WriteLine($"(see '{path} --help')");
            return UsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e, parse.GetValue(Verbose));
        }
    }

    /// <summary>Prints an exception as one line (and its stack with --verbose); returns the exit code for it.</summary>
    public static int Report(Exception e, bool verbose)
    {
        (string message, int code) = Describe(e);
        Console.Error.WriteLine($"error: {message}");
        if (verbose)
            Console.Error.WriteLine(e);
        else if (code != UsageError)
            Console.Error.WriteLine("(--verbose shows the stack trace)");
        return code;
    }

    /// <summary>A message people can act on, and whether the problem is theirs (2) or a failure (1).</summary>
    internal static (string Message, int Code) Describe(Exception e) => e switch
    {
        KernoModelException { UnsupportedOperators.Count: > 0 } m =>
            ($"the model uses operators Kerno does not support yet: {string.Join(", ", m.UnsupportedOperators)}", UsageError),
        KernoModelException m => ($"invalid model: {m.Message}", UsageError),
        FileNotFoundException f => ($"file not found: {f.FileName ?? f.Message}", UsageError),
        DirectoryNotFoundException d => (d.Message, UsageError),
        UnauthorizedAccessException u => (u.Message, UsageError),
        // Input validation (wrong input name, shape or element type) says what was expected and what was given.
        ArgumentException a => (a.Message, UsageError),
        NotSupportedException n => (n.Message, UsageError),
        CliUsageException u => (u.Message, UsageError),
        _ => ($"{e.GetType().Name}: {e.Message}", CheckFailed),
    };

    /// <summary>System.CommandLine lists allowed values one per line: errors stay on one line.</summary>
    private static string OneLine(string message) => System.Text.RegularExpressions.Regex.Replace(message.Trim(), @"\s*\n\s*", " ");

    private static IEnumerable<string> Path(Command command)
    {
        var names = new Stack<string>();
        for (Symbol? s = command; s is not null; s = s.Parents.FirstOrDefault())
            names.Push(s is RootCommand ? "kerno" : s.Name);
        return names;
    }

    private sealed class ExamplesHelpAction(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = inner.Invoke(parseResult);
            if (ExamplesByCommand.TryGetValue(parseResult.CommandResult.Command, out string[]? examples))
            {
                Console.Out.WriteLine("Examples:");
                foreach (string example in examples)
                    Console.Out.WriteLine($"  {example}");
                Console.Out.WriteLine();
            }
            Console.Out.WriteLine("Exit codes: 0 ok, 1 a check failed, 2 usage or input error.");
            return code;
        }
    }
}

/// <summary>A wrong option value or argument, reported in one line with exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
