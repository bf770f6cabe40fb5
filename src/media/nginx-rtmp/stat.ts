/**
 * Reads nginx-rtmp's /stat document (`rtmp_stat all`): the server's load and the streams being
 * published. The document is small and regular (nginx writes elements, text and empty flags
 * such as `<publishing/>`, no attributes but the XML declaration), so a tokenizer of that
 * subset reads it without an XML library.
 *
 * What /stat does not say is which streams are being recorded: nginx-rtmp has no element for
 * a recorder, and /control/record/start answers 204 both for a recording already running and
 * for a stream that does not exist. The media agent tells it instead, from the write lock nginx
 * holds on the file it records (`record_lock on`); see src/media/agent/recordings.ts.
 */
import type { MediaLoad } from '../../core/domain/media.ts';

/** One element of the document: its children and its own text. */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export interface RtmpStat {
  load: MediaLoad;
  /** Streams of the application being published now. */
  publishing: string[];
}

/**
 * The load of the whole server (every application) and the publishing streams of
 * `application`. Bandwidths are nginx's bits per second, averaged over its 10-second window.
 * Throws on a document that is not nginx-rtmp's.
 */
export function parseRtmpStat(xml: string, application: string): RtmpStat {
  const root = parseXml(xml);
  if (root.name !== 'rtmp') throw new Error(`not an nginx-rtmp stat document (root <${root.name}>)`);
  let publishing = 0;
  let playing = 0;
  const published: string[] = [];
  for (const server of childrenNamed(root, 'server')) {
    for (const app of childrenNamed(server, 'application')) {
      const appName = childText(app, 'name');
      for (const live of childrenNamed(app, 'live')) {
        for (const stream of childrenNamed(live, 'stream')) {
          const isPublished = hasChild(stream, 'publishing');
          if (isPublished) {
            publishing++;
            if (appName === application) published.push(childText(stream, 'name'));
          }
          playing += childrenNamed(stream, 'client').filter(
            (client) => !hasChild(client, 'publishing'),
          ).length;
        }
      }
    }
  }
  return {
    load: {
      publishing,
      playing,
      bwInBitsPerSec: childNumber(root, 'bw_in'),
      bwOutBitsPerSec: childNumber(root, 'bw_out'),
    },
    publishing: published,
  };
}

function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

function hasChild(element: XmlElement, name: string): boolean {
  return element.children.some((child) => child.name === name);
}

function childText(element: XmlElement, name: string): string {
  return element.children.find((child) => child.name === name)?.text.trim() ?? '';
}

function childNumber(element: XmlElement, name: string): number {
  const value = Number(childText(element, name));
  return Number.isFinite(value) && value >= 0 ? value : 0;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

/**
 * Parses the subset of XML nginx-rtmp writes: a declaration, nested elements, text, empty
 * elements. Attributes are skipped (nginx writes none); a mismatched end tag is an error.
 */
export function parseXml(xml: string): XmlElement {
  const document: XmlElement = { name: '#document', children: [], text: '' };
  const open: XmlElement[] = [document];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->/g;
  let last = 0;
  for (let match = tag.exec(xml); match; match = tag.exec(xml)) {
    const current = open[open.length - 1]!;
    current.text += decodeEntities(xml.slice(last, match.index));
    last = tag.lastIndex;
    const [, closing, name, selfClosing] = match;
    if (name === undefined) continue; // a declaration or a comment
    if (closing) {
      if (current.name !== name) throw new Error(`unexpected </${name}> inside <${current.name}>`);
      open.pop();
    } else {
      const element: XmlElement = { name, children: [], text: '' };
      current.children.push(element);
      if (!selfClosing) open.push(element);
    }
  }
  if (open.length !== 1) throw new Error(`unclosed <${open[open.length - 1]!.name}>`);
  const [root] = document.children;
  if (!root) throw new Error('no root element');
  return root;
}
