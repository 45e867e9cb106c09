/**
 * The bash completion script, written here instead of taken from
 * `@bomb.sh/tab`, whose script cuts `train@small:model` at `@` (bash's
 * COMP_WORDBREAKS holds `@`, `:` and `=`, and bash-completion 2.11 cannot be
 * told to keep `@`), gives bash names with spaces unescaped, runs the typed
 * words through `eval`, and declares `readonly` variables, so that sourcing
 * it twice fails.
 *
 * @module
 */

/**
 * The bash script of `pivot completions bash`. It splits the command line up
 * to the cursor into words itself (at unquoted blanks only), asks
 * `<name> complete -- <words>` for candidates (one `value<TAB>description` a
 * line, then `:<directive>`) and gives them to bash escaped and trimmed to
 * the part of the word bash replaces. It needs nothing but bash.
 */
export function bashCompletionScript(name: string): string {
  const fn = `__${name.replaceAll(/[^A-Za-z0-9_]/g, "_")}`;
  return `# bash completion for ${name}; from \`${name} completions bash\`. Safe to source again.

# Splits $1 into words as typed, at blanks outside quotes: the array REPLY,
# whose last element is the word at the cursor (maybe empty).
${fn}_split() {
    local line=$1 word="" quote="" c i
    REPLY=()
    for ((i = 0; i < \${#line}; i++)); do
        c=\${line:i:1}
        if [[ -n $quote ]]; then
            word+=$c
            if [[ $c == "$quote" ]]; then
                quote=""
            elif [[ $quote == '"' && $c == '\\' ]]; then
                ((i++))
                word+=\${line:i:1}
            fi
        elif [[ $c == '\\' ]]; then
            ((i++))
            word+=$c\${line:i:1}
        elif [[ $c == [\\'\\"] ]]; then
            quote=$c
            word+=$c
        elif [[ $c == [[:blank:]] ]]; then
            [[ -n $word ]] && REPLY+=("$word")
            word=""
        else
            word+=$c
        fi
    done
    REPLY+=("$word")
}

# The value of a word as typed ('a b', a\\ b → a b): $REPLY. Expands nothing
# else: a word with $, \`, (, ), <, >, ;, & or | stays as typed.
${fn}_dequote() {
    REPLY=$1
    [[ $1 == *[\\$\\\`\\(\\)\\<\\>\\;\\&\\|]* ]] && return
    eval "REPLY=$1" 2>/dev/null && return
    # An unclosed quote: close it.
    eval "REPLY=$1\${1:0:1}" 2>/dev/null || REPLY=$1
}

${fn}_complete() {
    ${fn}_split "\${COMP_LINE:0:COMP_POINT}"
    local -a words=("\${REPLY[@]}")
    local cur=\${words[\${#words[@]} - 1]}

    local -a args=()
    local word
    for word in "\${words[@]:1}"; do
        ${fn}_dequote "$word"
        args+=("$REPLY")
    done

    local out
    out=$(${name} complete -- "\${args[@]}" 2>/dev/null) || return

    local -a values=()
    local line directive=0
    while IFS= read -r line; do
        if [[ $line == :* ]]; then
            directive=\${line#:}
        elif [[ -n $line ]]; then
            values+=("\${line%%$'\\t'*}")
        fi
    done <<<"$out"
    # Directive bit 1: an error, nothing to offer.
    ((directive & 1)) && return

    COMPREPLY=()
    # Inside an open quote bash inserts the values as they are.
    if [[ $cur == [\\'\\"]* ]]; then
        COMPREPLY=("\${values[@]}")
        return
    fi
    # bash replaces only the part of the word after the last of its
    # COMP_WORDBREAKS characters (train@small:mo → mo).
    local breaks="" c prefix="" i
    for c in @ = :; do
        [[ $COMP_WORDBREAKS == *"$c"* ]] && breaks+=$c
    done
    if [[ -n $breaks ]]; then
        for ((i = \${#cur} - 1; i >= 0; i--)); do
            if [[ $breaks == *"\${cur:i:1}"* ]]; then
                prefix=\${cur:0:i+1}
                break
            fi
        done
    fi
    local value quoted
    for value in "\${values[@]}"; do
        printf -v quoted '%q' "$value"
        COMPREPLY+=("\${quoted#"$prefix"}")
    done
}

complete -F ${fn}_complete ${name}
`;
}
