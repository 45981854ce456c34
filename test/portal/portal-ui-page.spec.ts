import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { renderPortalPage, type PortalPageOptions } from '../../lib/portal/ui';

const BASE: PortalPageOptions = { api_base: '/webhooks/portal/api', theme: {}, frame_ancestors: [] };

function hash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The CSP's directives by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split('; ').map((d) => { const [name, ...values] = d.split(' '); return [name, values]; }));
}

function inline(html: string, tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]);
}

describe('renderPortalPage', () => {
  it('allows by hash exactly the inline scripts and styles of the page, and nothing else', () => {
    const { html, csp } = renderPortalPage({ ...BASE, theme: { primary_color: '#336699' } });
    const d = directives(csp);
    const scripts = inline(html, 'script');
    const styles = inline(html, 'style');
    expect(scripts).toHaveLength(1);
    expect(styles.length).toBeGreaterThanOrEqual(2);
    expect(d.get('script-src')).toEqual(scripts.map(hash));
    expect(d.get('style-src')).toEqual(styles.map(hash));
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('img-src')).toEqual(["'self'", 'data:']);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    // no inline handler or style attribute, which hashes do not allow; nothing loaded from elsewhere
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=|<link rel="stylesheet"|<script src/i);
    // the script is valid JavaScript (it is not run here: it needs a browser)
    expect(() => new Script(scripts[0])).not.toThrow();
  });

  it('puts the theme color in a CSS variable, so a new color is a new style hash', () => {
    const a = renderPortalPage({ ...BASE, theme: { primary_color: '#336699' } });
    const b = renderPortalPage({ ...BASE, theme: { primary_color: '#abc' } });
    expect(a.html).toContain('--primary: #336699;');
    expect(b.html).toContain('--primary: #abc;');
    expect(directives(a.csp).get('style-src')).not.toEqual(directives(b.csp).get('style-src'));
    expect(directives(a.csp).get('script-src')).toEqual(directives(b.csp).get('script-src'));
  });

  it('lets the page be framed by itself and the listed origins only', () => {
    expect(directives(renderPortalPage(BASE).csp).get('frame-ancestors')).toEqual(["'self'"]);
    const { csp } = renderPortalPage({ ...BASE, frame_ancestors: ['https://app.example.com', 'http://127.0.0.1:3001', 'https://*.example.org'] });
    expect(directives(csp).get('frame-ancestors')).toEqual(["'self'", 'https://app.example.com', 'http://127.0.0.1:3001', 'https://*.example.org']);
  });

  it('refuses an origin that is not scheme://host[:port], naming the key', () => {
    for (const bad of ["https://a.com; script-src 'unsafe-inline'", 'https://a.com/path', 'javascript:alert(1)', 'a.com', "'none'", 'https://a.com '] ) {
      expect(() => renderPortalPage({ ...BASE, frame_ancestors: [bad] })).toThrow(/portal_frame_ancestors/);
    }
  });

  it('escapes the title and the logo URL, and adds an absolute logo\'s origin to img-src', () => {
    const { html, csp } = renderPortalPage({ ...BASE, theme: { title: 'Acme <img src=x onerror=alert(1)> & "Co"', logo_url: 'https://cdn.example.com/a.png?x="><script>' } });
    expect(html).toContain('<title>Acme &#60;img src=x onerror=alert(1)&#62; &#38; &#34;Co&#34;</title>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('src="https://cdn.example.com/a.png?x=&#34;&#62;&#60;script&#62;"');
    expect(directives(csp).get('img-src')).toEqual(["'self'", 'data:', 'https://cdn.example.com']);
    expect(directives(renderPortalPage({ ...BASE, theme: { logo_url: '/static/logo.svg' } }).csp).get('img-src')).toEqual(["'self'", 'data:']);
  });

  it('shows no logo and the default title without a theme', () => {
    const { html } = renderPortalPage(BASE);
    expect(html).toContain('<title>Webhooks</title>');
    expect(html).not.toContain('class="logo"');
  });

  it('refuses a color or a logo that could break out of the page, naming the key', () => {
    expect(() => renderPortalPage({ ...BASE, theme: { primary_color: 'red; } body { display: none' } })).toThrow(/portal_theme\.primary_color/);
    expect(() => renderPortalPage({ ...BASE, theme: { primary_color: '#12345' } })).toThrow(/portal_theme\.primary_color/);
    expect(() => renderPortalPage({ ...BASE, theme: { logo_url: 'javascript:alert(1)' } })).toThrow(/portal_theme\.logo_url/);
    expect(() => renderPortalPage({ ...BASE, theme: { logo_url: '//evil.example/x.png' } })).toThrow(/portal_theme\.logo_url/);
  });

  it('hands the API base to the script as an escaped attribute and starts read-only until the session says otherwise', () => {
    const { html } = renderPortalPage({ ...BASE, api_base: '/a"b/api' });
    expect(html).toContain('<body class="read-only" data-api-base="/a&#34;b/api">');
  });
});
