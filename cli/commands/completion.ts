import { Argument, type Command } from "commander";
import { withContext } from "../context.js";

/** Every command's path (`apps deploy`) with the words that may follow it: subcommands and flags. */
function commandTree(root: Command): Map<string, string[]> {
  const tree = new Map<string, string[]>();
  const globals = root.options.map((option) => option.long ?? option.short ?? "");
  const walk = (command: Command, path: string) => {
    const words = [
      ...command.commands.map((sub) => sub.name()),
      ...command.options.map((option) => option.long ?? option.short ?? ""),
      ...(path ? globals : []),
      "--help",
    ];
    tree.set(path, [...new Set(words.filter(Boolean))]);
    for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(root, "");
  return tree;
}

/** A bash completion script (zsh loads it through bashcompinit). */
export function bashCompletion(root: Command): string {
  const entries = [...commandTree(root)]
    .map(([path, words]) => `  [${JSON.stringify(path)}]=${JSON.stringify(words.join(" "))}`)
    .join("\n");
  return `# pluskube completion for bash: source <(pluskube completion bash)
declare -gA _pluskube_tree=(
${entries}
)
_pluskube() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" candidate i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    candidate="\${path:+$path }$word"
    [[ -n "\${_pluskube_tree[$candidate]+set}" ]] && path="$candidate"
  done
  COMPREPLY=($(compgen -W "\${_pluskube_tree[$path]}" -- "$cur"))
}
complete -F _pluskube pluskube
`;
}

/** The same script for zsh, through its bash completion layer. */
export function zshCompletion(root: Command): string {
  return `# pluskube completion for zsh: source <(pluskube completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(root).replace(/^# .*\n/, "")}`;
}

/** `completion bash|zsh`: prints a completion script for the shell. */
export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("Print a shell completion script: source <(pluskube completion bash)")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .action(
      withContext<object, [string]>(async (context, _opts, shell) => {
        process.stdout.write(shell === "zsh" ? zshCompletion(program) : bashCompletion(program));
        void context;
      }),
    );
}
