//! Code generation: `impl Message`, rendering each template straight into one `String`.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, LitStr};

use crate::ast::{Input, Orientation, Tpl, Variant};
use crate::template::{self, Name, Node};
use crate::valid::{Body, Role, templates};

/// The impl for a checked input: one `match` arm per variant.
pub fn expand(input: &Input<'_>, bodies: &[Body]) -> TokenStream {
    let krate = &input.krate;
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let arms = input
        .variants
        .iter()
        .zip(bodies)
        .map(|(variant, body)| arm(variant, body));
    let files: Vec<String> = bodies
        .iter()
        .flat_map(|b| templates(b).into_iter().filter_map(|(t, _)| t.file.clone()))
        .map(|p| p.display().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    quote! {
        #[allow(non_local_definitions, unused_qualifications, clippy::all, clippy::pedantic)]
        const _: () = {
            use #krate::__private as __dt;
            #[automatically_derived]
            impl #impl_generics __dt::Message for #ident #ty_generics #where_clause {
                fn to_payload(&self) -> __dt::Payload {
                    // Rebuild when a template file changes.
                    #( const _: &str = ::core::include_str!(#files); )*
                    #[allow(unused_imports)]
                    use __dt::{ButtonSource as _, EscapeByDefault as _, MentionIds as _, RawIfMarked as _};
                    match self {
                        #( #arms )*
                    }
                }
            }
        };
    }
}

fn arm(v: &Variant<'_>, body: &Body) -> TokenStream {
    // Bind only what is used, so that no binding goes unused.
    let mut used = BTreeSet::new();
    for (tpl, _) in templates(body) {
        template::visit_names(&tpl.nodes, &mut Vec::new(), &mut |name, scope| {
            if !scope.contains(&name.root.as_str()) {
                used.insert(name.root.clone());
            }
        });
    }
    let attr_fields = v.fields.iter().filter(|f| {
        let a = &f.attrs;
        a.at_mobiles || a.at_user_ids || a.at_all || a.buttons
    });
    used.extend(attr_fields.map(|f| f.ident.to_string()));
    let bindings = v
        .fields
        .iter()
        .filter(|f| used.contains(&f.ident.to_string()))
        .map(|f| f.ident);
    let path = match v.ident {
        Some(variant) => quote!(Self::#variant),
        None => quote!(Self),
    };
    let pattern = if v.fields.is_empty() && v.ident.is_some() {
        quote!(#path { .. })
    } else {
        quote!(#path { #( #bindings, )* .. })
    };
    let raw: BTreeSet<String> = v
        .fields
        .iter()
        .filter(|f| f.attrs.raw)
        .map(|f| f.ident.to_string())
        .collect();
    let r = Renderer {
        raw: &raw,
        newlines: if v.preserve_newlines {
            quote!(__dt::Newlines::Preserve)
        } else {
            quote!(__dt::Newlines::Break)
        },
        preserve_newlines: v.preserve_newlines,
    };
    let mut mentions = Vec::new();
    for f in &v.fields {
        let name = f.ident;
        if f.attrs.at_mobiles {
            mentions.push(quote!(__dt_msg = __dt_msg.at_mobiles(#name.dingtalk_mention_ids());));
        }
        if f.attrs.at_user_ids {
            mentions.push(quote!(__dt_msg = __dt_msg.at_user_ids(#name.dingtalk_mention_ids());));
        }
        if f.attrs.at_all {
            mentions.push(quote!(if __dt::is_true(#name) { __dt_msg = __dt_msg.at_all(); }));
        }
    }
    if v.at_all {
        mentions.push(quote!(__dt_msg = __dt_msg.at_all();));
    }
    let build = match body {
        Body::Markdown { title, text } => {
            let title = r.render(title, Role::Plain);
            let text = r.render(text, Role::Markdown);
            quote! {
                let mut __dt_msg = __dt::Payload::markdown(#title, #text);
                #( #mentions )*
            }
        }
        Body::Text { content } => {
            let content = r.render(content, Role::Plain);
            quote! {
                let mut __dt_msg = __dt::Payload::text(#content);
                #( #mentions )*
            }
        }
        Body::Link {
            title,
            text,
            message_url,
            pic_url,
        } => {
            let title = r.render(title, Role::Plain);
            let text = r.render(text, Role::Plain);
            let url = r.render(message_url, Role::Url);
            let pic = pic_url.as_ref().map(|p| {
                let p = r.render(p, Role::Url);
                quote!(let __dt_msg = __dt_msg.pic_url(#p);)
            });
            quote! {
                let __dt_msg = __dt::Payload::link(#title, #text, #url);
                #pic
            }
        }
        Body::ActionCard {
            title,
            text,
            orientation,
            hide_avatar,
            buttons,
        } => {
            let title = r.render(title, Role::Plain);
            let text = r.render(text, Role::Markdown);
            let orientation = match orientation {
                Orientation::Horizontal => quote!(__dt::ButtonOrientation::Horizontal),
                Orientation::Vertical => quote!(__dt::ButtonOrientation::Vertical),
            };
            let statics = buttons.iter().map(|(t, u)| {
                let t = r.render(t, Role::Plain);
                let u = r.render(u, Role::Url);
                quote!(__dt_msg = __dt_msg.button(#t, #u);)
            });
            let dynamic = v.fields.iter().filter(|f| f.attrs.buttons).map(|f| {
                let name = f.ident;
                quote!(__dt_msg = __dt_msg.buttons(#name.dingtalk_buttons());)
            });
            quote! {
                let mut __dt_msg = __dt::Payload::action_card(#title, #text)
                    .orientation(#orientation)
                    .hide_avatar(#hide_avatar);
                #( #statics )*
                #( #dynamic )*
            }
        }
    };
    let pc_slide = v.pc_slide.map(|on| quote!(.pc_slide(#on)));
    quote! {
        #pattern => {
            #build
            __dt::Payload::from(__dt_msg) #pc_slide
        }
    }
}

struct Renderer<'a> {
    raw: &'a BTreeSet<String>,
    newlines: TokenStream,
    preserve_newlines: bool,
}

/// Where in a markdown link a value stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Not in a link destination.
    Outside,
    /// Right after `](`.
    Start,
    /// Inside a destination, after some of it.
    Inside,
}

impl Renderer<'_> {
    /// An expression of type `String`: the template rendered.
    fn render(&self, tpl: &Tpl, role: Role) -> TokenStream {
        let capacity = template::literal_len(&tpl.nodes) + 16 * template::value_count(&tpl.nodes);
        // A URL that is one value goes in as it is; values inside a URL are percent-encoded.
        let whole_url = role == Role::Url && matches!(tpl.nodes.as_slice(), [Node::Value(_)]);
        let mut link = Link::Outside;
        let body = self.nodes(&tpl.nodes, role, whole_url, &tpl.lit, &mut link);
        quote! {{
            let mut __dt_out = __dt::String::with_capacity(#capacity);
            #body
            __dt_out
        }}
    }

    fn nodes(
        &self,
        nodes: &[Node],
        role: Role,
        whole_url: bool,
        lit: &LitStr,
        link: &mut Link,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        for (i, node) in nodes.iter().enumerate() {
            out.extend(match node {
                Node::Lit(text) => {
                    let text = if role == Role::Markdown {
                        *link = track_link(text, *link);
                        if self.preserve_newlines {
                            text.clone()
                        } else {
                            hard_breaks(text)
                        }
                    } else {
                        text.clone()
                    };
                    quote!(__dt_out.push_str(#text);)
                }
                Node::Value(value) => {
                    let expr = value_expr(&value.name, lit.span());
                    let format = LitStr::new(&format!("{{:{}}}", value.spec), lit.span());
                    let format = if value.spec.is_empty() {
                        LitStr::new("{}", lit.span())
                    } else {
                        format
                    };
                    let args = quote_spanned!(lit.span()=> ::core::format_args!(#format, #expr));
                    match role {
                        Role::Plain => quote!(__dt::write_plain(&mut __dt_out, #args);),
                        Role::Url if whole_url => quote!(__dt::write_plain(&mut __dt_out, #args);),
                        Role::Url => quote!(__dt::write_url_component(&mut __dt_out, #args);),
                        Role::Markdown => {
                            let ends_link = matches!(nodes.get(i + 1), Some(Node::Lit(next)) if next.starts_with(')'));
                            let code = match *link {
                                Link::Start if ends_link => {
                                    quote!(__dt::write_plain(&mut __dt_out, #args);)
                                }
                                Link::Start | Link::Inside => {
                                    quote!(__dt::write_url_component(&mut __dt_out, #args);)
                                }
                                Link::Outside if self.raw.contains(&value.name.root) => {
                                    quote!(__dt::write_plain(&mut __dt_out, #args);)
                                }
                                Link::Outside => {
                                    let newlines = &self.newlines;
                                    let probe = reference(&value.name, lit.span());
                                    quote! {
                                        if (&__dt::Probe(#probe)).is_markdown_escaped() {
                                            __dt::write_markdown(&mut __dt_out, #newlines, #args);
                                        } else {
                                            __dt::write_plain(&mut __dt_out, #args);
                                        }
                                    }
                                }
                            };
                            if *link == Link::Start {
                                *link = Link::Inside;
                            }
                            code
                        }
                    }
                }
                Node::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let held = reference(cond, lit.span());
                    let binding = if cond.rest.is_empty() {
                        let ident = ident(&cond.root, lit.span());
                        quote!(#ident)
                    } else {
                        quote!(_)
                    };
                    let then = self.nodes(then, role, whole_url, lit, &mut link.clone());
                    let otherwise = self.nodes(otherwise, role, whole_url, lit, &mut link.clone());
                    quote! {
                        if let ::core::option::Option::Some(#binding) = __dt::Condition::held(#held) {
                            #then
                        } else {
                            #otherwise
                        }
                    }
                }
                Node::Each {
                    iter,
                    binding,
                    body,
                } => {
                    let items = reference(iter, lit.span());
                    let binding = ident(&binding.root, lit.span());
                    let body = self.nodes(body, role, whole_url, lit, &mut link.clone());
                    quote! {
                        for #binding in (#items).into_iter() {
                            #body
                        }
                    }
                }
            });
        }
        out
    }
}

fn ident(name: &str, span: Span) -> Ident {
    Ident::new(name, span)
}

/// `root.a.b`: the value itself (bindings are references already; field access auto-derefs).
fn value_expr(name: &Name, span: Span) -> TokenStream {
    let root = ident(&name.root, span);
    let rest = name.rest.iter().map(|part| access(part, span));
    quote_spanned!(span=> #root #( . #rest )*)
}

/// A reference to `root.a.b`.
fn reference(name: &Name, span: Span) -> TokenStream {
    if name.rest.is_empty() {
        let root = ident(&name.root, span);
        quote!(#root)
    } else {
        let value = value_expr(name, span);
        quote_spanned!(span=> &#value)
    }
}

fn access(part: &str, span: Span) -> TokenStream {
    match part.parse::<u32>() {
        Ok(index) => {
            let index = syn::Index { index, span };
            quote!(#index)
        }
        Err(_) => {
            let ident = format_ident!("{}", part, span = span);
            quote!(#ident)
        }
    }
}

/// Follows markdown link destinations through literal text: `[text](` opens one, `)` or
/// whitespace ends it.
fn track_link(text: &str, mut state: Link) -> Link {
    let mut prev = None;
    for c in text.chars() {
        state = match (state, c) {
            (Link::Outside, '(') if prev == Some(']') => Link::Start,
            (Link::Outside, _) => Link::Outside,
            (_, ')') => Link::Outside,
            (_, c) if c.is_whitespace() => Link::Outside,
            (_, _) => Link::Inside,
        };
        prev = Some(c);
    }
    state
}

/// A single `\n` becomes `"  \n"`, a line break DingTalk renders; `\n\n` (a paragraph) and
/// breaks written as `"  \n"` stay.
fn hard_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if c == '\n' {
            let paragraph = (i > 0 && bytes[i - 1] == b'\n') || bytes.get(i + 1) == Some(&b'\n');
            if !paragraph && !out.ends_with("  ") {
                out.push_str("  ");
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_newlines_become_breaks() {
        assert_eq!(hard_breaks("a\nb\n\nc  \nd"), "a  \nb\n\nc  \nd");
        assert_eq!(hard_breaks("### t\n- x\n"), "### t  \n- x  \n");
    }

    #[test]
    fn link_destinations_are_tracked() {
        assert!(track_link("see [logs](", Link::Outside) == Link::Start);
        assert!(track_link("see [logs](https://x/", Link::Outside) == Link::Inside);
        assert!(track_link(") and more", Link::Inside) == Link::Outside);
        assert!(track_link("(not a link", Link::Outside) == Link::Outside);
    }
}
