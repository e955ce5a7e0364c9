//! Code generation: `impl Message`, rendering each template straight into one `String`.

use std::collections::{BTreeSet, HashMap};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
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

/// The generated code's own variables: mixed-site, so no field or loop variable of the user's
/// can collide with them.
fn out_ident() -> Ident {
    Ident::new("__dt_out", Span::mixed_site())
}

fn msg_ident() -> Ident {
    Ident::new("__dt_msg", Span::mixed_site())
}

fn arm(v: &Variant<'_>, body: &Body) -> TokenStream {
    let msg = msg_ident();
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
    used.extend(attr_fields.map(|f| f.ident.unraw().to_string()));
    let bindings = v
        .fields
        .iter()
        .filter(|f| used.contains(&f.ident.unraw().to_string()))
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
    let fields = v
        .fields
        .iter()
        .map(|f| {
            let binding = Binding {
                ident: f.ident.clone(),
                raw: f.attrs.raw,
                path: None,
            };
            (f.ident.unraw().to_string(), binding)
        })
        .collect();
    let r = Renderer {
        fields,
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
        // Spanned at the field, so that a field of the wrong type is the error's place.
        let span = name.span();
        if f.attrs.at_mobiles {
            let ids = quote_spanned!(span=> #name.dingtalk_mention_ids());
            mentions.push(quote!(#msg = #msg.at_mobiles(#ids);));
        }
        if f.attrs.at_user_ids {
            let ids = quote_spanned!(span=> #name.dingtalk_mention_ids());
            mentions.push(quote!(#msg = #msg.at_user_ids(#ids);));
        }
        if f.attrs.at_all {
            let flag = quote_spanned!(span=> __dt::is_true(#name));
            mentions.push(quote!(if #flag { #msg = #msg.at_all(); }));
        }
    }
    if v.at_all {
        mentions.push(quote!(#msg = #msg.at_all();));
    }
    let build = match body {
        Body::Markdown { title, text } => {
            let title = r.render(title, Role::Plain);
            let text = r.render(text, Role::Markdown);
            quote! {
                let mut #msg = __dt::Payload::markdown(#title, #text);
                #( #mentions )*
            }
        }
        Body::Text { content } => {
            let content = r.render(content, Role::Plain);
            quote! {
                let mut #msg = __dt::Payload::text(#content);
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
                quote!(let #msg = #msg.pic_url(#p);)
            });
            quote! {
                let #msg = __dt::Payload::link(#title, #text, #url);
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
                quote!(#msg = #msg.button(#t, #u);)
            });
            let dynamic = v.fields.iter().filter(|f| f.attrs.buttons).map(|f| {
                let name = f.ident;
                let buttons = quote_spanned!(name.span()=> #name.dingtalk_buttons());
                quote!(#msg = #msg.buttons(#buttons);)
            });
            quote! {
                let mut #msg = __dt::Payload::action_card(#title, #text)
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
            __dt::Payload::from(#msg) #pc_slide
        }
    }
}

/// What a name in a template stands for.
#[derive(Clone)]
struct Binding {
    /// The variable that holds it (a reference).
    ident: Ident,
    /// Written into markdown as it is (`#[dingtalk(raw)]`).
    raw: bool,
    /// For the value held by `{#if a.b}`: the path `a.b` it stands for.
    path: Option<Vec<String>>,
}

struct Renderer {
    /// The fields, by the name templates use (`type` for `r#type`).
    fields: HashMap<String, Binding>,
    newlines: TokenStream,
    preserve_newlines: bool,
}

/// The names in scope where a template node stands: loop variables and held values, innermost
/// last.
type Scope = Vec<(String, Binding)>;

impl Renderer {
    /// An expression of type `String`: the template rendered.
    fn render(&self, tpl: &Tpl, role: Role) -> TokenStream {
        let out = out_ident();
        let capacity = template::literal_len(&tpl.nodes) + 16 * template::value_count(&tpl.nodes);
        let mut link = Link::Outside;
        let body = self.nodes(&tpl.nodes, role, &tpl.lit, &mut Vec::new(), &mut link, true);
        quote! {{
            let mut #out = __dt::String::with_capacity(#capacity);
            #body
            #out
        }}
    }

    /// What `name` stands for here, and the accesses after it: a held value, a loop variable
    /// or a field.
    fn resolve<'n>(&self, name: &'n Name, scope: &Scope) -> (Binding, &'n [String]) {
        for (held, binding) in scope.iter().rev() {
            if *held != name.root {
                continue;
            }
            match &binding.path {
                Some(path) if name.rest.starts_with(path) => {
                    return (binding.clone(), &name.rest[path.len()..]);
                }
                Some(_) => {}
                None => return (binding.clone(), &name.rest),
            }
        }
        let binding = self
            .fields
            .get(&name.root)
            .cloned()
            .unwrap_or_else(|| Binding {
                ident: ident(&name.root, Span::call_site()),
                raw: false,
                path: None,
            });
        (binding, &name.rest)
    }

    /// A reference to the value `name` names.
    fn reference(&self, name: &Name, scope: &Scope, span: Span) -> TokenStream {
        let (binding, rest) = self.resolve(name, scope);
        let root = respan(&binding.ident, span);
        if rest.is_empty() {
            quote!(#root)
        } else {
            let rest = rest.iter().map(|part| access(part, span));
            quote_spanned!(span=> &#root #( . #rest )*)
        }
    }

    fn nodes(
        &self,
        nodes: &[Node],
        role: Role,
        lit: &LitStr,
        scope: &mut Scope,
        link: &mut Link,
        at_start: bool,
    ) -> TokenStream {
        let out = out_ident();
        let span = lit.span();
        let mut tokens = TokenStream::new();
        for (i, node) in nodes.iter().enumerate() {
            // A value with nothing before it in a URL is the URL's start (its scheme and
            // host): it goes in as it is; values after it are percent-encoded.
            let first = at_start && i == 0;
            tokens.extend(match node {
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
                    quote!(#out.push_str(#text);)
                }
                Node::Value(value) => {
                    let (binding, _) = self.resolve(&value.name, scope);
                    let expr = self.reference(&value.name, scope, span);
                    let format = LitStr::new(&format!("{{:{}}}", value.spec), span);
                    let args = quote_spanned!(span=> ::core::format_args!(#format, #expr));
                    match role {
                        Role::Plain => quote!(__dt::write_plain(&mut #out, #args);),
                        Role::Url if first => quote!(__dt::write_plain(&mut #out, #args);),
                        Role::Url => quote!(__dt::write_url_component(&mut #out, #args);),
                        Role::Markdown => {
                            let code = match *link {
                                Link::Start => {
                                    quote!(__dt::write_markdown_url(&mut #out, #args);)
                                }
                                Link::Inside => {
                                    quote!(__dt::write_url_component(&mut #out, #args);)
                                }
                                Link::Outside if binding.raw => {
                                    quote!(__dt::write_plain(&mut #out, #args);)
                                }
                                Link::Outside => {
                                    let newlines = &self.newlines;
                                    quote! {
                                        if (&__dt::Probe(#expr)).is_markdown_escaped() {
                                            __dt::write_markdown(&mut #out, #newlines, #args);
                                        } else {
                                            __dt::write_plain(&mut #out, #args);
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
                    let held = self.reference(cond, scope, span);
                    let (outer, _) = self.resolve(cond, scope);
                    // Inside, the condition's name stands for the value held.
                    let held_ident =
                        Ident::new(&format!("__dt_held_{}", scope.len()), Span::mixed_site());
                    let binding = Binding {
                        ident: held_ident.clone(),
                        raw: outer.raw,
                        path: (!cond.rest.is_empty()).then(|| cond.rest.clone()),
                    };
                    scope.push((cond.root.clone(), binding));
                    let then = self.nodes(then, role, lit, scope, &mut link.clone(), first);
                    scope.pop();
                    let otherwise =
                        self.nodes(otherwise, role, lit, scope, &mut link.clone(), first);
                    let test = quote_spanned!(span=> __dt::Condition::held(#held));
                    quote! {
                        if let ::core::option::Option::Some(#held_ident) = #test {
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
                    let items = self.reference(iter, scope, span);
                    let (outer, _) = self.resolve(iter, scope);
                    let item =
                        Ident::new(&format!("__dt_item_{}", scope.len()), Span::mixed_site());
                    scope.push((
                        binding.root.clone(),
                        Binding {
                            ident: item.clone(),
                            raw: outer.raw,
                            path: None,
                        },
                    ));
                    let body = self.nodes(body, role, lit, scope, &mut link.clone(), first);
                    scope.pop();
                    quote! {
                        for #item in (#items).into_iter() {
                            #body
                        }
                    }
                }
            });
        }
        tokens
    }
}

fn ident(name: &str, span: Span) -> Ident {
    syn::parse_str::<Ident>(name)
        .map(|i| respan(&i, span))
        .unwrap_or_else(|_| Ident::new_raw(name, span))
}

/// `ident`, with its hygiene kept, pointing at `span` in errors.
fn respan(ident: &Ident, span: Span) -> Ident {
    let mut moved = ident.clone();
    moved.set_span(ident.span().located_at(span));
    moved
}

fn access(part: &str, span: Span) -> TokenStream {
    match part.parse::<u32>() {
        Ok(index) => {
            let index = syn::Index { index, span };
            quote!(#index)
        }
        Err(_) => {
            let ident = ident(part, span);
            quote!(#ident)
        }
    }
}

/// Where in a markdown link a value stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Not in a link's address.
    Outside,
    /// Right after `](`: the value starts the address.
    Start,
    /// Inside an address, after some of it.
    Inside,
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
