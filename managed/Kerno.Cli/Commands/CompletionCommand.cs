using System.CommandLine;

namespace Kerno.Cli.Commands;

/// <summary>
/// <c>kerno completion bash|zsh|pwsh</c>: prints a shell script that asks kerno itself for completions through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, so commands and options never go stale in the script.
/// </summary>
internal static class CompletionCommand
{
    internal static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or pwsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        var command = new Command("completion", "Print a shell completion script for kerno (commands, options and their values).")
        {
            shell,
        };
        command.SetAction(parse =>
        {
            Console.Out.Write(Script(parse.GetValue(shell)!));
            return Cli.Ok;
        });
        return command.WithExamples(
            "eval \"$(kerno completion bash)\"            # in ~/.bashrc",
            "source <(kerno completion zsh)              # in ~/.zshrc",
            "kerno completion pwsh | Out-String | Invoke-Expression   # in $PROFILE");
    }

    internal static string Script(string shell) => shell switch
    {
        "bash" => """
            # kerno completion for bash: eval "$(kerno completion bash)"
            _kerno_complete() {
                local IFS=$'\n'
                local line="${COMP_LINE:0:$COMP_POINT}"
                COMPREPLY=($(compgen -W "$(kerno "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _kerno_complete kerno

            """,
        "zsh" => """
            # kerno completion for zsh: source <(kerno completion zsh)
            _kerno_complete() {
                local line="${BUFFER[1,$CURSOR]}"
                local -a candidates
                candidates=("${(@f)$(kerno "[suggest:${#line}]" "$line" 2>/dev/null)}")
                compadd -a candidates
            }
            compdef _kerno_complete kerno

            """,
        _ => """
            # kerno completion for PowerShell: kerno completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName kerno -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                $line = $commandAst.ToString()
                if ($cursorPosition -lt $line.Length) { $line = $line.Substring(0, $cursorPosition) }
                kerno "[suggest:$($line.Length)]" "$line" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
    };
}
