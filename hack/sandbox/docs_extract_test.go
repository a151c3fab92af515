package main

// Extraction of the shell commands of README.md and docs/*.md, for
// docs_test.go.
//
// Which fenced code blocks hold commands:
//   - ```sh, ```bash, ```shell, ```console and ```shell-session: every line
//     is a command (comments and blank lines skipped) unless some line
//     starts with "$ ": then only "$ " lines (and their continuations) are
//     commands and the other lines are output;
//   - unlabeled blocks whose first line (blank lines and comments skipped)
//     starts with a command word (commandWords) or a variable assignment
//     are command blocks as above; other unlabeled blocks are output,
//     log lines or diagrams and are skipped;
//   - every other label (yaml, json, go, text, ...) is skipped.
//
// A command is what bash runs when the block is pasted: lines are joined
// while bash says the text so far is incomplete (a trailing `\`, an open
// quote, a trailing pipe, a for loop before its done). Bash itself decides
// (`bash -n`), with <placeholders> replaced by a word first, as a reader
// replaces them before pasting. A command that bash cannot parse is kept
// with its syntax error: it is a broken line whether or not it can run.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// docCommand is one command of the documentation.
type docCommand struct {
	File string // relative to the repository root
	Line int    // of the command's first line
	// Text is the command as written (newlines kept), what a paste runs.
	Text string
	// Joined is Text with `\` continuations joined and runs of blanks
	// squeezed: what the classification rules match and messages show.
	Joined string
	// Block numbers the code blocks of File, so commands of one block
	// can share the variables its earlier commands set.
	Block int
	// SyntaxError is bash's complaint when the command does not parse.
	SyntaxError string
}

func (c docCommand) where() string { return fmt.Sprintf("%s:%d", c.File, c.Line) }

// commandWords start the commands of unlabeled blocks.
var commandWords = map[string]bool{
	"make": true, "go": true, "curl": true, "oc": true, "kubectl": true, "jq": true,
	"helm": true, "kustomize": true, "podman": true, "docker": true, "buildah": true,
	"cd": true, "export": true, "for": true, "git": true, "bash": true, "npm": true,
	"hack/envtest/build.sh": true, "hack/images/build.sh": true, "test/e2e/run.sh": true,
}

var (
	fenceRe       = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")
	assignmentRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	placeholderRe = regexp.MustCompile(`<[A-Za-z][^<>\n]*>`)
	continueRe    = regexp.MustCompile(`\\\n\s*`)
	blanksRe      = regexp.MustCompile(`[ \t]+`)
)

var shellLabels = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true, "shell-session": true}

// docFiles are README.md and docs/*.md, relative to root.
func docFiles(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	out := []string{"README.md"}
	for _, f := range files {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	sort.Strings(out[1:])
	return out, nil
}

// extractionStats counts what extractCommands saw.
type extractionStats struct {
	ShellBlocks, UnlabeledCommandBlocks, SkippedBlocks int
}

// extractCommands returns the commands of the Markdown file root/rel.
func extractCommands(root, rel string, st *extractionStats) ([]docCommand, error) {
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	type line struct {
		n    int
		text string
	}
	var (
		out     []docCommand
		inBlock bool
		fence   string
		label   string
		block   []line
		blockNo int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1024*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		m := fenceRe.FindStringSubmatch(text)
		if !inBlock {
			if m != nil {
				inBlock, fence, label, block = true, m[1], strings.ToLower(m[2]), nil
			}
			continue
		}
		if m != nil && strings.HasPrefix(m[1], fence[:1]) && len(m[1]) >= len(fence) && m[2] == "" {
			inBlock = false
			blockNo++
			lines := make([]string, len(block))
			nums := make([]int, len(block))
			for i, l := range block {
				lines[i], nums[i] = l.text, l.n
			}
			switch {
			case shellLabels[label]:
				st.ShellBlocks++
			case label == "" && looksLikeCommands(lines):
				st.UnlabeledCommandBlocks++
			default:
				st.SkippedBlocks++
				continue
			}
			cmds, err := splitCommands(lines, nums)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
			for _, c := range cmds {
				c.File, c.Block = rel, blockNo
				out = append(out, c)
			}
			continue
		}
		block = append(block, line{n, text})
	}
	if inBlock {
		return nil, fmt.Errorf("%s: a code block opened with %s is never closed", rel, fence)
	}
	return out, sc.Err()
}

// looksLikeCommands says whether an unlabeled block holds commands: its
// first line (blank lines and comments skipped) starts with a command word
// or a variable assignment, or with "$ ".
func looksLikeCommands(lines []string) bool {
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(t, "$ ") {
			return true
		}
		f := strings.Fields(t)[0]
		return commandWords[f] || assignmentRe.MatchString(f)
	}
	return false
}

// splitCommands groups the lines of a command block into commands.
func splitCommands(lines []string, nums []int) ([]docCommand, error) {
	console := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "$ ") {
			console = true
		}
	}
	var out []docCommand
	var pending []string
	start := 0
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if len(pending) == 0 {
			if console {
				if !strings.HasPrefix(t, "$ ") {
					continue // output
				}
				l = strings.TrimPrefix(t, "$ ")
				t = strings.TrimSpace(l)
			}
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			start = nums[i]
		}
		pending = append(pending, l)
		text := strings.Join(pending, "\n")
		if n := len(l) - len(strings.TrimRight(l, "\\")); n%2 == 1 {
			continue // bash -n takes a \ before the end of its input as the end
		}
		complete, synErr := bashParses(text)
		if trailing := strings.TrimRight(l, " \t"); complete && synErr == "" && trailing != l && strings.HasSuffix(trailing, "\\") {
			synErr = "a \\ followed by blanks does not continue the line: remove the blanks after it"
		}
		if !complete {
			continue
		}
		out = append(out, docCommand{Line: start, Text: text, Joined: joinCommand(text), SyntaxError: synErr})
		pending = nil
	}
	if len(pending) > 0 {
		text := strings.Join(pending, "\n")
		return nil, fmt.Errorf("line %d: the command `%s` is incomplete at the end of its code block (an open quote, a trailing \\ or |, a loop without done?)", start, joinCommand(text))
	}
	return out, nil
}

// joinCommand joins `\` continuations and squeezes blanks.
func joinCommand(text string) string {
	return strings.TrimSpace(blanksRe.ReplaceAllString(continueRe.ReplaceAllString(text, " "), " "))
}

// bashParses asks bash whether text is a complete command: complete is
// false while bash wants more lines; synErr is bash's message when the
// text is complete but does not parse.
func bashParses(text string) (complete bool, synErr string) {
	text = placeholderRe.ReplaceAllString(text, "PLACEHOLDER")
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(text + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		return true, ""
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Contains(msg, "unexpected end of file") || strings.Contains(msg, "unexpected EOF") {
		return false, ""
	}
	if msg == "" {
		msg = "bash -n failed"
	}
	return true, msg
}
