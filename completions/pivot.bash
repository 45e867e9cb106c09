# bash completion for pivot; from `pivot completions bash`. Safe to source again.

# Splits $1 into words as typed, at blanks outside quotes: the array REPLY,
# whose last element is the word at the cursor (maybe empty).
__pivot_split() {
    local line=$1 word="" quote="" c i
    REPLY=()
    for ((i = 0; i < ${#line}; i++)); do
        c=${line:i:1}
        if [[ -n $quote ]]; then
            word+=$c
            if [[ $c == "$quote" ]]; then
                quote=""
            elif [[ $quote == '"' && $c == '\' ]]; then
                ((i++))
                word+=${line:i:1}
            fi
        elif [[ $c == '\' ]]; then
            ((i++))
            word+=$c${line:i:1}
        elif [[ $c == [\'\"] ]]; then
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

# The value of a word as typed ('a b', a\ b → a b): $REPLY. Expands nothing
# else: a word with $, `, (, ), <, >, ;, & or | stays as typed.
__pivot_dequote() {
    REPLY=$1
    [[ $1 == *[\$\`\(\)\<\>\;\&\|]* ]] && return
    eval "REPLY=$1" 2>/dev/null && return
    # An unclosed quote: close it.
    eval "REPLY=$1${1:0:1}" 2>/dev/null || REPLY=$1
}

__pivot_complete() {
    __pivot_split "${COMP_LINE:0:COMP_POINT}"
    local -a words=("${REPLY[@]}")
    local cur=${words[${#words[@]} - 1]}

    local -a args=()
    local word
    for word in "${words[@]:1}"; do
        __pivot_dequote "$word"
        args+=("$REPLY")
    done

    local out
    out=$(pivot complete -- "${args[@]}" 2>/dev/null) || return

    local -a values=()
    local line directive=0
    while IFS= read -r line; do
        if [[ $line == :* ]]; then
            directive=${line#:}
        elif [[ -n $line ]]; then
            values+=("${line%%$'\t'*}")
        fi
    done <<<"$out"
    # Directive bit 1: an error, nothing to offer.
    ((directive & 1)) && return

    COMPREPLY=()
    # Inside an open quote bash inserts the values as they are.
    if [[ $cur == [\'\"]* ]]; then
        COMPREPLY=("${values[@]}")
        return
    fi
    # bash replaces only the part of the word after the last of its
    # COMP_WORDBREAKS characters (train@small:mo → mo).
    local breaks="" c prefix="" i
    for c in @ = :; do
        [[ $COMP_WORDBREAKS == *"$c"* ]] && breaks+=$c
    done
    if [[ -n $breaks ]]; then
        for ((i = ${#cur} - 1; i >= 0; i--)); do
            if [[ $breaks == *"${cur:i:1}"* ]]; then
                prefix=${cur:0:i+1}
                break
            fi
        done
    fi
    local value quoted
    for value in "${values[@]}"; do
        printf -v quoted '%q' "$value"
        COMPREPLY+=("${quoted#"$prefix"}")
    done
}

complete -F __pivot_complete pivot
