// Help text with `code` spans (parameter names, settings) shown as code instead of literal backticks.
import { Fragment } from 'react';

// The text's pieces in order; odd pieces were between backticks. An unpaired backtick stays as text.
export function splitCode(text: string): { code: boolean; text: string }[] {
  const parts = text.split('`');
  if (parts.length % 2 === 0) return [{ code: false, text }];
  return parts.map((p, i) => ({ code: i % 2 === 1, text: p })).filter((p) => p.text !== '');
}

export default function CodeText({ text }: { text: string }) {
  return (
    <>
      {splitCode(text).map((p, i) => (p.code ? <code key={i}>{p.text}</code> : <Fragment key={i}>{p.text}</Fragment>))}
    </>
  );
}
