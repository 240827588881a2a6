import type { Prompt, Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * Names and text a mounted server sends are relayed to clients and printed in terminals and UIs,
 * so they are checked here before anything is served from them.
 */

/** The MCP spec's tool-name rule (2025-11-25): 1 to 128 of A-Z a-z 0-9 _ - . */
export const TOOL_NAME_RE = /^[A-Za-z0-9_.-]{1,128}$/;

/** Prompt names have no rule in the spec: 1 to 128 characters with no control, format or space character. */
const PROMPT_NAME_RE = /^[^\p{Cc}\p{Cf}\p{Z}\s]{1,128}$/u;

/** C0 and C1 controls except tab and newline, DEL, and the format characters that reorder or hide text. */
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Text with the characters that could drive a terminal, or hide or reorder what is shown, removed. */
export function cleanText(text: string): string;
export function cleanText(text: string | undefined): string | undefined;
export function cleanText(text: string | undefined): string | undefined {
  return text?.replace(UNSAFE_TEXT, '');
}

/** A name for a message: JSON-quoted with every unsafe character escaped, and cut to a readable length. */
export function quoteName(name: string): string {
  const cut = name.length > 80 ? `${name.slice(0, 80)}...` : name;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function isValidToolName(name: string): boolean {
  return TOOL_NAME_RE.test(name);
}

export function isValidPromptName(name: string): boolean {
  return PROMPT_NAME_RE.test(name);
}

interface Described {
  title?: string;
  description?: string;
}

function cleanDescribed<T extends Described>(item: T): T {
  return {
    ...item,
    ...(item.title !== undefined ? { title: cleanText(item.title) } : {}),
    ...(item.description !== undefined ? { description: cleanText(item.description) } : {}),
  };
}

export function cleanTool(tool: Tool): Tool {
  const cleaned = cleanDescribed(tool);
  if (tool.annotations?.title === undefined) return cleaned;
  return { ...cleaned, annotations: { ...tool.annotations, title: cleanText(tool.annotations.title) } };
}

export function cleanPrompt(prompt: Prompt): Prompt {
  return {
    ...cleanDescribed(prompt),
    ...(prompt.arguments
      ? { arguments: prompt.arguments.map((a) => ({ ...cleanDescribed(a), name: a.name })) }
      : {}),
  };
}

export function cleanResource<T extends Described & { name: string }>(resource: T): T {
  return { ...cleanDescribed(resource), name: cleanText(resource.name) };
}
