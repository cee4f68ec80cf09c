"""``bucket completion bash|zsh|fish``: a shell completion script, written from the argparse
grammar itself (``parsing.build_parser``), so it never falls behind the commands and their
flags. It completes the commands, the sub-actions (``bundle put``, ``versioning enable``,
``completion fish``), each command's options (with their choices: ``--storage s3|local``,
``--verify quick|full|off``...) and file names everywhere else. Static: the shell never runs
``bucket`` to complete (no start-up cost per TAB, no dependency).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from backend.src.libs.bucket.cli.context import Context
from backend.src.libs.bucket.cli.parsing import build_parser
from backend.src.libs.bucket.cli.status import EXIT_OK, PROG


@dataclass(frozen=True)
class Option:
    """One flag: its spellings, whether it takes a value (a file name or not), its
    choices, its help."""

    strings: tuple[str, ...]
    takes_value: bool
    choices: tuple[str, ...]
    help: str
    path: bool = False


@dataclass(frozen=True)
class Grammar:
    """A command (or the tool): its options, the words its first positional takes (a
    choice list or sub-actions), and its sub-actions' grammars."""

    name: str
    help: str
    options: tuple[Option, ...]
    words: tuple[str, ...]
    subs: tuple[Grammar, ...]


PATH_METAVARS = frozenset({"FILE", "DIR"})
"""The values that are file names (``--env-file FILE``, ``--local-root DIR``)."""


def _option(action: argparse.Action) -> Option:
    choices = tuple(str(c) for c in action.choices) if action.choices else ()
    path = action.metavar in PATH_METAVARS
    return Option(tuple(action.option_strings), action.nargs != 0, choices, action.help or "", path)


def grammar(parser: argparse.ArgumentParser, name: str = PROG, text: str = "") -> Grammar:
    """The completion grammar of ``parser`` (argparse's own records of its actions)."""
    options: list[Option] = []
    words: tuple[str, ...] = ()
    subs: list[Grammar] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for sub_name, sub in action.choices.items():
                subs.append(grammar(sub, sub_name, helps.get(sub_name, "")))
            words = tuple(action.choices)
        elif action.option_strings:
            options.append(_option(action))
        elif action.choices and not words:
            words = tuple(str(c) for c in action.choices)
    return Grammar(name, text, tuple(options), words, tuple(subs))


@dataclass(frozen=True)
class Values:
    """The options that take a value, anywhere (the shells skip an option's value when they
    look for the command): those with choices, those naming a file, and the others (whose
    value nothing can guess)."""

    choices: dict[str, tuple[str, ...]]
    paths: list[str]
    free: list[str]

    @property
    def all(self) -> list[str]:
        """Every option that takes a value, sorted."""
        return sorted([*self.choices, *self.paths, *self.free])


def _values(top: Grammar) -> Values:
    options: dict[str, Option] = {}
    todo = [top]
    while todo:
        g = todo.pop()
        todo.extend(g.subs)
        options.update((s, o) for o in g.options if o.takes_value for s in o.strings)
    ordered = sorted(options.items())
    return Values(
        {s: o.choices for s, o in ordered if o.choices},
        [s for s, o in ordered if o.path and not o.choices],
        [s for s, o in ordered if not o.path and not o.choices],
    )


def _paths(top: Grammar) -> list[tuple[str, Grammar]]:
    """``("", tool), ("ls", ls), ..., ("bundle put", put)``: every grammar by its path."""
    found = [("", top)]
    for sub in top.subs:
        found.append((sub.name, sub))
        found.extend((f"{sub.name} {s.name}", s) for s in sub.subs)
    return found


def _flags(g: Grammar) -> str:
    return " ".join(s for o in g.options for s in o.strings)


# ------------------------------------------------------------------------ bash
_BASH_HEAD = """# bash completion for {prog}: eval "$({prog} completion bash)" in ~/.bashrc, or
# {prog} completion bash > ~/.local/share/bash-completion/completions/{prog}
_{prog}() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local cmd="" sub="" word i skip=0 npos=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        if ((skip)); then skip=0; continue; fi
        case $word in
            {takes}) skip=1 ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=$word
               elif [[ -z $sub && " {nested} " == *" $cmd "* ]]; then sub=$word
               else npos=$((npos + 1)); fi ;;
        esac
    done
    case $prev in
"""

_BASH_TAIL = """    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    elif ((npos == 0)); then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}}
complete -o default -F _{prog} {prog}
"""


def bash(top: Grammar) -> str:
    """The bash script: ``eval "$(bucket completion bash)"`` (file names are bash's own
    completion, ``-o default``)."""
    values = _values(top)
    nested = " ".join(s.name for s in top.subs if s.subs)
    lines = [_BASH_HEAD.format(prog=PROG, takes="|".join(values.all), nested=nested)]
    for string, found in values.choices.items():
        lines.append(
            f'        {string}) COMPREPLY=($(compgen -W "{" ".join(found)}" -- "$cur")); '
            "return ;;\n"
        )
    lines.append(
        f'        {"|".join(values.paths)}) COMPREPLY=($(compgen -f -- "$cur")); return ;;\n'
    )
    lines.append(f"        {'|'.join(values.free)}) COMPREPLY=(); return ;;\n")
    lines.append('    esac\n    local flags words\n    case "$cmd${sub:+ $sub}" in\n')
    for path, g in _paths(top):
        lines.append(f'        "{path}") flags="{_flags(g)}"; words="{" ".join(g.words)}" ;;\n')
    lines.append(_BASH_TAIL.format(prog=PROG))
    return "".join(lines)


# ------------------------------------------------------------------------- zsh
def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


_ZSH_HEAD = """#compdef {prog}
# zsh completion for {prog}: {prog} completion zsh > "${{fpath[1]}}/_{prog}"
_{prog}() {{
    local cmd="" sub="" word i skip=0 npos=0
    for ((i = 2; i < CURRENT; i++)); do
        word=${{words[i]}}
        if ((skip)); then skip=0; continue; fi
        case $word in
            ({takes}) skip=1 ;;
            (-*) ;;
            (*) if [[ -z $cmd ]]; then cmd=$word
                elif [[ -z $sub && " {nested} " == *" $cmd "* ]]; then sub=$word
                else npos=$((npos + 1)); fi ;;
        esac
    done
    case ${{words[CURRENT-1]}} in
"""

_ZSH_TAIL = """    esac
    if [[ $PREFIX == -* ]]; then
        compadd -- $flags
    elif ((npos == 0 && ${{#described}} > 0)); then
        _describe -t commands '{prog}' described
    else
        _files
    fi
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _{prog} "$@"; else compdef _{prog} {prog}; fi
"""


def zsh(top: Grammar) -> str:
    """The zsh script: save it as ``_bucket`` in a folder of ``$fpath`` (or source it
    after ``compinit``)."""
    values = _values(top)
    nested = " ".join(s.name for s in top.subs if s.subs)
    lines = [_ZSH_HEAD.format(prog=PROG, takes="|".join(values.all), nested=nested)]
    for string, found in values.choices.items():
        lines.append(f"        ({string}) compadd -- {' '.join(found)}; return ;;\n")
    lines.append(f"        ({'|'.join(values.paths)}) _files; return ;;\n")
    lines.append(f"        ({'|'.join(values.free)}) return ;;\n")
    lines.append('    esac\n    local -a flags described\n    case "$cmd${sub:+ $sub}" in\n')
    for path, g in _paths(top):
        helps = {s.name: s.help for s in g.subs}
        described = " ".join(_zsh_quote(f"{w}:{helps.get(w, '')}") for w in g.words)
        lines.append(f'        ("{path}") flags=({_flags(g)}); described=({described}) ;;\n')
    lines.append(_ZSH_TAIL.format(prog=PROG))
    return "".join(lines)


# ------------------------------------------------------------------------ fish
def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(condition: str, option: Option) -> str:
    parts = [f"complete -c {PROG}"]
    if condition:
        parts.append(f"-n {_fish_quote(condition)}")
    for string in option.strings:
        parts.append(f"-l {string[2:]}" if string.startswith("--") else f"-s {string[1:]}")
    if option.takes_value:
        parts.append("-x" if option.choices else "-r")
    if option.choices:
        parts.append(f"-a {_fish_quote(' '.join(option.choices))}")
    parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


_FISH_HEAD = """# fish completion for {prog}: {prog} completion fish > ~/.config/fish/completions/{prog}.fish
function __{prog}_words --description 'the command, its action and arguments typed so far'
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case {takes}
                set skip 1
            case '-*'
            case '*'
                printf '%s\\n' $word
        end
    end
end
function __{prog}_at --description 'true when the words typed start with $argv'
    set -l words (__{prog}_words)
    set -l n (count $argv)
    test (count $words) -ge $n; or return 1
    test "$words[1..$n]" = "$argv"
end
function __{prog}_free --description 'true when the words typed are exactly $argv'
    set -l words (__{prog}_words)
    test "$words" = "$argv"
end
complete -c {prog} -f -n '__{prog}_free'
"""


def fish(top: Grammar) -> str:
    """The fish script: ``bucket completion fish > ~/.config/fish/completions/bucket.fish``
    (its own scan of the words typed, which knows the options that take a value)."""
    values = _values(top)
    lines = [_FISH_HEAD.format(prog=PROG, takes=" ".join(values.all))]
    lines += [_fish_option(f"__{PROG}_free", o) for o in top.options]
    for path, g in _paths(top)[1:]:
        lines += [_fish_option(f"__{PROG}_at {path}", o) for o in g.options]
    for path, g in _paths(top):
        helps = {s.name: s.help for s in g.subs}
        for word in g.words:
            lines.append(
                f"complete -c {PROG} -f -n {_fish_quote(f'__{PROG}_free {path}'.rstrip())} "
                f"-a {word} -d {_fish_quote(helps.get(word, g.help))}"
            )
    return "\n".join(lines) + "\n"


def script(shell: str) -> str:
    """The completion script for ``shell`` (``bash``, ``zsh`` or ``fish``)."""
    top = grammar(build_parser())
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](top)


def cmd_completion(ctx: Context) -> int:
    """Print the completion script of the shell named (``bucket completion bash``)."""
    ctx.out(script(ctx.args.shell).rstrip("\n"))
    return EXIT_OK
