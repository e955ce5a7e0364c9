//! Code generation: `impl Message`, rendering each template straight into one `String`.
//!
//! Every type that derives pays for compiling what is generated here, so it is kept small: a
//! template is one chain of calls on the runtime's `Render` (`dingtalk_core::derive_support`,
//! reached through `__private`), one call per literal and per value, each value passed as
//! `&dyn Display`, so that the work is compiled once there rather than once per placeholder
//! here. A template of literal text alone is a `&'static str`.
//!
//! `markdown!` is one markdown template rendered by the same code, its names the caller's
//! variables ([`markdown_macro`]).

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};

use dingtalk_spec::markdown::{Newlines, hard_line_breaks};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Ident, LitStr};

use crate::ast::{Field, Header, Input, Layout, Shape, Template, Transparent, Variant};
use crate::kind::{Each, Kind, Orientation, Role};
use crate::template::{self, Name, Node};

/// The impl for an input with no mistake.
pub(crate) fn expand(input: &Input<'_, Layout<Template>>) -> TokenStream {
    let Header {
        ident,
        generics,
        krate,
    } = &input.header;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let where_clause = bounded(generics, where_clause, &input.variants);
    let uses = Uses::default();
    let body = match &input.variants[..] {
        [v] if v.ident.is_none() => {
            let (bindings, build) = arm(v, &uses);
            if bindings.is_empty() {
                build
            } else {
                quote!(let Self { #( #bindings, )* .. } = self; #build)
            }
        }
        variants => {
            let arms = variants.iter().map(|v| {
                let (bindings, build) = arm(v, &uses);
                let ident = v.ident;
                quote!(Self::#ident { #( #bindings, )* .. } => #build,)
            });
            quote!(match self { #( #arms )* })
        }
    };
    let files: BTreeSet<String> = input
        .variants
        .iter()
        .filter_map(|v| match &v.shape {
            Shape::Layout(layout) => Some(layout.kind.parts()),
            Shape::Transparent(_) => None,
        })
        .flatten()
        .filter_map(|part| part.template.file.as_ref())
        .map(|path| path.display().to_string())
        .collect();
    let files = files.iter();
    let traits = uses.traits();
    quote! {
        // Generated code sets off no lint a crate can turn on (tests/derive.rs, `mod lints`,
        // denies them all over it) but one: deriving for a deprecated type, or reading the
        // deprecated fields its own layout names, is no use of deprecated API by its user.
        #[allow(deprecated)]
        const _: () = {
            use #krate::__private as __dt;
            #[automatically_derived]
            impl #impl_generics __dt::Message for #ident #ty_generics #where_clause {
                fn to_payload(&self) -> __dt::Payload {
                    // Rebuild when a template file changes.
                    #( const _: &str = ::core::include_str!(#files); )*
                    #traits
                    #body
                }
            }
        };
    }
}

/// `markdown!`: its template rendered into a `String`, a block the caller's variables are seen
/// from.
pub(crate) fn markdown_macro(tpl: &Template, krate: &TokenStream) -> TokenStream {
    let uses = Uses::default();
    let renderer = Renderer {
        fields: HashMap::new(),
        newlines: Newlines::Break,
        uses: &uses,
    };
    let text = renderer.render(tpl, Role::Markdown, None);
    let traits = uses.traits();
    quote! {{
        use #krate::__private as __dt;
        #traits
        ::std::string::String::from(#text)
    }}
}

/// The runtime's traits the generated code calls methods of, imported only when it does.
#[derive(Default)]
struct Uses {
    /// `Probe(value).escapes_markdown()`.
    probe: Cell<bool>,
    /// `field.dingtalk_mention_ids()`.
    mentions: Cell<bool>,
    /// `field.dingtalk_buttons()`.
    buttons: Cell<bool>,
    /// `message.at_all_if(field)`.
    at_all_if: Cell<bool>,
    /// `field.dingtalk_feed_links()`.
    feed_links: Cell<bool>,
}

impl Uses {
    /// The `use` that brings the traits into scope, if any is used.
    fn traits(&self) -> TokenStream {
        let mut traits = Vec::new();
        if self.probe.get() {
            traits.push(quote!(EscapeByDefault as _));
            traits.push(quote!(RawIfMarked as _));
        }
        if self.mentions.get() {
            traits.push(quote!(MentionIds as _));
        }
        if self.buttons.get() {
            traits.push(quote!(ButtonSource as _));
        }
        if self.at_all_if.get() {
            traits.push(quote!(AtAllIf as _));
        }
        if self.feed_links.get() {
            traits.push(quote!(FeedLinkSource as _));
        }
        if traits.is_empty() {
            TokenStream::new()
        } else {
            quote!(use __dt::{ #( #traits ),* };)
        }
    }
}

/// The generated code's own variables: mixed-site, so that no field or loop variable of the
/// user's can collide with them.
fn out_ident() -> Ident {
    Ident::new("__dt_out", Span::mixed_site())
}

/// The variable that holds the item of an entry's `each`.
fn entry_item() -> Ident {
    Ident::new("__dt_entry", Span::mixed_site())
}

/// The input's `where` clause, with `Field: Message` added for each `transparent` field whose
/// type names a type parameter: a variant that holds a `T` is sent as `T`'s message.
fn bounded(
    generics: &syn::Generics,
    where_clause: Option<&syn::WhereClause>,
    variants: &[Variant<'_, Layout<Template>>],
) -> TokenStream {
    let params: Vec<&Ident> = generics.type_params().map(|p| &p.ident).collect();
    let added: Vec<TokenStream> = variants
        .iter()
        .filter_map(|v| match &v.shape {
            Shape::Transparent(Transparent { ty, .. }) if names_any(quote!(#ty), &params) => {
                Some(quote!(#ty: __dt::Message))
            }
            _ => None,
        })
        .collect();
    if added.is_empty() {
        return quote!(#where_clause);
    }
    let written = where_clause.into_iter().flat_map(|w| w.predicates.iter());
    quote!(where #( #written, )* #( #added, )*)
}

/// Whether `tokens` hold one of `idents`.
fn names_any(tokens: TokenStream, idents: &[&Ident]) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(i) => idents.contains(&&i),
        proc_macro2::TokenTree::Group(g) => names_any(g.stream(), idents),
        _ => false,
    })
}

/// What a variant binds, as the fields of a pattern, and the expression that builds its payload
/// from them.
fn arm(v: &Variant<'_, Layout<Template>>, uses: &Uses) -> (Vec<TokenStream>, TokenStream) {
    match &v.shape {
        Shape::Layout(layout) => layout_arm(v, layout, uses),
        Shape::Transparent(Transparent { member, ty }) => {
            let inner = Ident::new("__dt_inner", Span::mixed_site());
            // Named by the field's type, so that a type that is no message is the error's place.
            let build =
                quote_spanned!(ty.span()=> <#ty as __dt::Transparent>::dingtalk_payload(#inner));
            (vec![quote!(#member: #inner)], build)
        }
    }
}

/// The fields a variant's layout uses, to bind, and the expression that builds its payload from
/// them.
fn layout_arm(
    v: &Variant<'_, Layout<Template>>,
    layout: &Layout<Template>,
    uses: &Uses,
) -> (Vec<TokenStream>, TokenStream) {
    let kind = &layout.kind;
    // Bind only what is used, so that no binding goes unused.
    let mut used = BTreeSet::new();
    for part in kind.parts() {
        let mut scope: Vec<&str> = part.each.iter().map(|e| e.binding.root.as_str()).collect();
        template::visit_names(&part.template.nodes, &mut scope, &mut |name, scope| {
            if !scope.contains(&name.root.as_str()) {
                used.insert(name.root.clone());
            }
        });
        if let Some(each) = &part.each {
            used.insert(each.iter.root.clone());
        }
    }
    let bound = |f: &&Field<'_>| {
        let a = &f.attrs;
        a.at_mobiles
            || a.at_user_ids
            || a.at_all
            || a.buttons
            || a.feed_links
            || used.contains(f.name.as_str())
    };
    let bindings = v
        .fields
        .iter()
        .filter(bound)
        .map(|f| {
            let ident = f.ident;
            quote!(#ident)
        })
        .collect();

    let r = Renderer {
        fields: v
            .fields
            .iter()
            .map(|f| {
                let binding = Binding {
                    ident: f.ident.clone(),
                    raw: f.attrs.raw,
                    path: None,
                    by_ref: true,
                };
                (f.name.as_str(), binding)
            })
            .collect(),
        newlines: v.options.newlines,
        uses,
    };
    // Mentions exist only on the kinds that take them: `valid.rs` refuses them elsewhere.
    let mut mentions = Vec::new();
    // The type's own first, then its fields', in the order they are declared.
    for ids in &v.options.at_mobiles {
        let ids = &ids.value;
        mentions.push(quote!(.at_mobiles([ #( #ids ),* ])));
    }
    for ids in &v.options.at_user_ids {
        let ids = &ids.value;
        mentions.push(quote!(.at_user_ids([ #( #ids ),* ])));
    }
    for f in &v.fields {
        let name = f.ident;
        // Spanned at the field, so that a field of the wrong type is the error's place.
        let span = name.span();
        if f.attrs.at_mobiles {
            uses.mentions.set(true);
            mentions.push(quote_spanned!(span=> .at_mobiles(#name.dingtalk_mention_ids())));
        }
        if f.attrs.at_user_ids {
            uses.mentions.set(true);
            mentions.push(quote_spanned!(span=> .at_user_ids(#name.dingtalk_mention_ids())));
        }
        if f.attrs.at_all {
            uses.at_all_if.set(true);
            mentions.push(quote_spanned!(span=> .at_all_if(#name)));
        }
    }
    if v.options.at_all.as_ref().is_some_and(|a| a.value) {
        mentions.push(quote!(.at_all()));
    }
    // Every template rendered in the role `Kind::try_map` gives it: the roles are stated there.
    let rendered = kind
        .as_ref()
        .map(|template, role, each| r.render(template, role, each));
    let message = match rendered {
        Kind::Markdown { title, text } => {
            // Rendered with its line breaks made (or kept, as the type asks): taken as it is.
            quote!(__dt::rendered_markdown(#title, #text) #( #mentions )*)
        }
        Kind::Text { content } => quote!(__dt::Payload::text(#content) #( #mentions )*),
        Kind::Link {
            title,
            text,
            message_url,
            pic_url,
        } => {
            let pic = pic_url.map(|p| quote!(.pic_url(#p)));
            quote!(__dt::Payload::link(#title, #text, #message_url) #pic)
        }
        Kind::ActionCard {
            title,
            text,
            orientation,
            hide_avatar,
            buttons,
        } => {
            let orientation = match orientation {
                Orientation::Horizontal => quote!(Horizontal),
                Orientation::Vertical => quote!(Vertical),
            };
            let written = buttons.iter().map(|b| {
                let (t, u) = (&b.title, &b.url);
                match &b.each {
                    None => quote!(.button(#t, #u)),
                    Some(each) => {
                        let items = r.iterated(each);
                        let item = entry_item();
                        quote!(.buttons((#items).into_iter().map(|#item| __dt::Button::new(#t, #u))))
                    }
                }
            });
            let dynamic: Vec<TokenStream> = v
                .fields
                .iter()
                .filter(|f| f.attrs.buttons)
                .map(|f| {
                    let name = f.ident;
                    quote_spanned!(name.span()=> .buttons(#name.dingtalk_buttons()))
                })
                .collect();
            uses.buttons.set(uses.buttons.get() || !dynamic.is_empty());
            quote! {
                __dt::rendered_action_card(#title, #text)
                    .orientation(__dt::ButtonOrientation::#orientation)
                    .hide_avatar(#hide_avatar)
                    #( #written )*
                    #( #dynamic )*
            }
        }
        Kind::FeedCard { links } => {
            let written = links.iter().map(|l| {
                let (t, u) = (&l.title, &l.message_url);
                let p = l.pic_url.clone().unwrap_or_else(|| quote!(""));
                match &l.each {
                    None => quote!(.link(#t, #u, #p)),
                    Some(each) => {
                        let items = r.iterated(each);
                        let item = entry_item();
                        quote!(.links((#items).into_iter().map(|#item| __dt::FeedLink::new(#t, #u, #p))))
                    }
                }
            });
            let dynamic: Vec<TokenStream> = v
                .fields
                .iter()
                .filter(|f| f.attrs.feed_links)
                .map(|f| {
                    let name = f.ident;
                    quote_spanned!(name.span()=> .links(#name.dingtalk_feed_links()))
                })
                .collect();
            uses.feed_links
                .set(uses.feed_links.get() || !dynamic.is_empty());
            quote! {
                __dt::Payload::feed_card()
                    #( #written )*
                    #( #dynamic )*
            }
        }
    };
    let slide = v.options.pc_slide.map(|on| quote!(.pc_slide(#on)));
    // Last, so that it goes before the text as rendered: `Payload::prefixed`.
    let prefix = v.options.prefix.as_ref().map(|p| quote!(.prefixed(#p)));
    let build = match (&slide, &prefix) {
        (None, None) => quote!(#message.into()),
        _ => quote!(__dt::Payload::from(#message) #slide #prefix),
    };
    (bindings, build)
}

/// What a name in a template stands for.
#[derive(Clone)]
struct Binding {
    /// The variable that holds it.
    ident: Ident,
    /// Written into markdown as it is (`#[dingtalk(raw)]`).
    raw: bool,
    /// For the value held by `{#if a.b}`: the path `a.b` it stands for.
    path: Option<Vec<String>>,
    /// The variable holds a reference to the value (a field bound from `&self`, an item, a
    /// value held), not the value itself (a variable of `markdown!`'s caller).
    by_ref: bool,
}

/// Writes the code that renders the templates of one variant.
struct Renderer<'a> {
    /// The fields, by the name templates use (`type` for `r#type`).
    fields: HashMap<&'a str, Binding>,
    newlines: Newlines,
    uses: &'a Uses,
}

/// The names in scope where a template node stands: loop variables and held values, innermost
/// last.
type Scope = Vec<(String, Binding)>;

impl Renderer<'_> {
    /// A reference to what an entry's `each` iterates.
    fn iterated(&self, each: &Each) -> TokenStream {
        let (binding, rest) = self.resolve(&each.iter, &Vec::new(), each.span);
        Self::reference(&binding, rest, each.span)
    }

    /// An expression that converts into a `String`: the template rendered; within an entry's
    /// `each`, with its item in scope.
    fn render(&self, tpl: &Template, role: Role, each: Option<&Each>) -> TokenStream {
        match &tpl.nodes[..] {
            // Only an address may be empty.
            [] => return quote!(""),
            [Node::Lit(text)] => {
                let text = self.literal(text, role);
                return quote!(#text);
            }
            _ => {}
        }
        let capacity = template::literal_len(&tpl.nodes) + 16 * template::value_count(&tpl.nodes);
        let new = match (role, self.newlines) {
            (Role::Markdown, Newlines::Preserve) => quote!(preserving),
            _ => quote!(new),
        };
        let render = quote!(__dt::Render::#new(#capacity));
        let mut position = LinkPosition::Outside;
        let mut chain = Chain::default();
        let mut scope: Scope = each
            .map(|each| {
                let binding = Binding {
                    ident: entry_item(),
                    raw: false,
                    path: None,
                    by_ref: true,
                };
                (each.binding.root.clone(), binding)
            })
            .into_iter()
            .collect();
        self.nodes(
            &tpl.nodes,
            role,
            &tpl.lit,
            &mut scope,
            &mut position,
            true,
            &mut chain,
        );
        if chain.statements.is_empty() {
            // No section: the template is one expression.
            let calls = chain.calls;
            return quote!(#render #( #calls )* .finish());
        }
        let out = out_ident();
        let statements = chain.finish();
        quote! {{
            let mut #out = #render;
            #statements
            #out.finish()
        }}
    }

    /// Literal text as it goes into the part: in markdown, single newlines made line breaks.
    fn literal(&self, text: &str, role: Role) -> String {
        match (role, self.newlines) {
            (Role::Markdown, Newlines::Break) => hard_line_breaks(text),
            _ => text.to_owned(),
        }
    }

    /// What `name` stands for here, and the accesses after it: a held value, a loop variable
    /// or a field; else a variable where `markdown!` is called, named as if written at `span`
    /// (its template), so that it resolves there and errors about it point there.
    fn resolve<'n>(&self, name: &'n Name, scope: &Scope, span: Span) -> (Binding, &'n [String]) {
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
        // Not a field: a variable where `markdown!` is called (a derive's names are all fields,
        // `valid.rs` made sure).
        let binding = self
            .fields
            .get(name.root.as_str())
            .cloned()
            .unwrap_or_else(|| Binding {
                ident: ident(&name.root, span),
                raw: false,
                path: None,
                by_ref: false,
            });
        (binding, &name.rest)
    }

    /// The place `name` names: `root` or `root.a.b`.
    fn place(binding: &Binding, rest: &[String], span: Span) -> TokenStream {
        let root = respan(&binding.ident, span);
        let rest = rest.iter().map(|part| access(part, span));
        quote_spanned!(span=> #root #( . #rest )*)
    }

    /// A reference to the value `name` names: the binding itself when it holds a reference,
    /// else `&root.a.b`.
    fn reference(binding: &Binding, rest: &[String], span: Span) -> TokenStream {
        let place = Self::place(binding, rest, span);
        if rest.is_empty() && binding.by_ref {
            place
        } else {
            quote_spanned!(span=> &#place)
        }
    }

    /// The statements that render a section's body, which starts where the section stands.
    fn section(
        &self,
        nodes: &[Node],
        role: Role,
        lit: &LitStr,
        scope: &mut Scope,
        mut position: LinkPosition,
        at_start: bool,
    ) -> TokenStream {
        let mut chain = Chain::default();
        self.nodes(nodes, role, lit, scope, &mut position, at_start, &mut chain);
        chain.finish()
    }

    /// Adds the calls that render `nodes` to `chain`.
    #[allow(clippy::too_many_arguments)] // The state of one walk, passed down it.
    fn nodes(
        &self,
        nodes: &[Node],
        role: Role,
        lit: &LitStr,
        scope: &mut Scope,
        position: &mut LinkPosition,
        at_start: bool,
        chain: &mut Chain,
    ) {
        let span = lit.span();
        for (i, node) in nodes.iter().enumerate() {
            // A value with nothing before it in a URL is the URL's start (its scheme and
            // host): it goes in as it is; values after it are percent-encoded.
            let first = at_start && i == 0;
            match node {
                Node::Lit(text) => {
                    if role == Role::Markdown {
                        *position = position.after(text);
                    }
                    let text = self.literal(text, role);
                    chain.calls.push(quote!(.literal(#text)));
                }
                Node::Value(value) => {
                    let (binding, rest) = self.resolve(&value.name, scope, span);
                    let place = Self::place(&binding, rest, span);
                    // The value as `&dyn Display`, with its format spec if it has one.
                    let shown = if value.spec.is_empty() {
                        quote_spanned!(span=> &#place)
                    } else {
                        let format = LitStr::new(&format!("{{:{}}}", value.spec), span);
                        quote_spanned!(span=> &::core::format_args!(#format, #place))
                    };
                    // At the template, so that a value of the wrong type is an error there.
                    let call = match (role, *position) {
                        (Role::Plain, _) => quote_spanned!(span=> .plain(#shown)),
                        (Role::Url, _) if first => quote_spanned!(span=> .plain(#shown)),
                        (Role::Url, _) => quote_spanned!(span=> .url_part(#shown)),
                        (Role::Markdown, LinkPosition::Start) => {
                            quote_spanned!(span=> .link_address(#shown))
                        }
                        (Role::Markdown, LinkPosition::Inside) => {
                            quote_spanned!(span=> .url_part(#shown))
                        }
                        (Role::Markdown, LinkPosition::Outside) if binding.raw => {
                            quote_spanned!(span=> .plain(#shown))
                        }
                        (Role::Markdown, LinkPosition::Outside) => {
                            // `RawMarkdown` is told apart by autoref specialization: its
                            // `escapes_markdown` is found before the default one.
                            self.uses.probe.set(true);
                            let probe = Self::reference(&binding, rest, span);
                            quote_spanned! {span=>
                                .markdown(__dt::Probe(#probe).escapes_markdown(), #shown)
                            }
                        }
                    };
                    chain.calls.push(call);
                    if role == Role::Markdown && *position == LinkPosition::Start {
                        *position = LinkPosition::Inside;
                    }
                }
                Node::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let (outer, rest) = self.resolve(cond, scope, span);
                    let held = Self::reference(&outer, rest, span);
                    // Inside, the condition's name stands for the value held.
                    let held_ident =
                        Ident::new(&format!("__dt_held_{}", scope.len()), Span::mixed_site());
                    let binding = Binding {
                        ident: held_ident.clone(),
                        raw: outer.raw,
                        path: (!cond.rest.is_empty()).then(|| cond.rest.clone()),
                        by_ref: true,
                    };
                    scope.push((cond.root.clone(), binding));
                    let then = self.section(then, role, lit, scope, *position, first);
                    scope.pop();
                    let otherwise = self.section(otherwise, role, lit, scope, *position, first);
                    let test = quote_spanned!(span=> __dt::Condition::held(#held));
                    let otherwise = (!otherwise.is_empty()).then(|| quote!(else { #otherwise }));
                    // At the template, so that a condition of the wrong type is an error there.
                    chain.statement(quote_spanned! {span=>
                        if let ::core::option::Option::Some(#held_ident) = #test {
                            #then
                        } #otherwise
                    });
                }
                Node::Each {
                    iter,
                    binding,
                    body,
                } => {
                    let (outer, rest) = self.resolve(iter, scope, span);
                    let items = Self::reference(&outer, rest, span);
                    let item =
                        Ident::new(&format!("__dt_item_{}", scope.len()), Span::mixed_site());
                    scope.push((
                        binding.root.clone(),
                        Binding {
                            ident: item.clone(),
                            raw: outer.raw,
                            path: None,
                            by_ref: true,
                        },
                    ));
                    let body = self.section(body, role, lit, scope, *position, first);
                    scope.pop();
                    // A method call, which derefs what it iterates (`&&[T]` for a field `&[T]`).
                    chain.statement(quote! {
                        for #item in (#items).into_iter() {
                            #body
                        }
                    });
                }
            }
        }
    }
}

/// The code that renders part of a template: statements (sections), then calls not yet made a
/// statement, which chain on the `Render`.
#[derive(Default)]
struct Chain {
    statements: TokenStream,
    calls: Vec<TokenStream>,
}

impl Chain {
    /// Ends the chain of calls so far with a statement.
    fn statement(&mut self, statement: TokenStream) {
        self.flush();
        self.statements.extend(statement);
    }

    /// Makes the calls so far one statement.
    fn flush(&mut self) {
        if !self.calls.is_empty() {
            let out = out_ident();
            let calls = std::mem::take(&mut self.calls);
            self.statements.extend(quote!(#out #( #calls )*;));
        }
    }

    /// Everything, as statements.
    fn finish(mut self) -> TokenStream {
        self.flush();
        self.statements
    }
}

/// The identifier of a name a template uses: raw where the name is a keyword (`r#type`).
fn ident(name: &str, span: Span) -> Ident {
    // The keywords that can be raw identifiers; the template parser refuses the others.
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match",
        "mod", "move", "mut", "priv", "pub", "ref", "return", "static", "struct", "trait", "true",
        "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
        "abstract", "become", "do", "final", "override",
    ];
    if KEYWORDS.contains(&name) {
        Ident::new_raw(name, span)
    } else {
        Ident::new(name, span)
    }
}

/// `ident`, with its hygiene kept, pointing at `span` in errors.
fn respan(ident: &Ident, span: Span) -> Ident {
    let mut moved = ident.clone();
    moved.set_span(ident.span().located_at(span));
    moved
}

/// `.sub` or `.0` after a name.
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

/// Where a value stands relative to a markdown link's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkPosition {
    /// Not in a link's address.
    Outside,
    /// Right after `](`: the value starts the address.
    Start,
    /// Inside an address, after some of it.
    Inside,
}

impl LinkPosition {
    /// Where literal text leaves a value that follows it: `[text](` opens an address, `)` or
    /// white space ends it.
    fn after(self, text: &str) -> LinkPosition {
        let mut position = self;
        let mut prev = None;
        for c in text.chars() {
            position = match (position, c) {
                (LinkPosition::Outside, '(') if prev == Some(']') => LinkPosition::Start,
                (LinkPosition::Outside, _) => LinkPosition::Outside,
                (_, ')') => LinkPosition::Outside,
                (_, c) if c.is_whitespace() => LinkPosition::Outside,
                (_, _) => LinkPosition::Inside,
            };
            prev = Some(c);
        }
        position
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_addresses_are_followed() {
        let after = |text| LinkPosition::Outside.after(text);
        assert_eq!(after("see [logs]("), LinkPosition::Start);
        assert_eq!(after("see [logs](https://x/"), LinkPosition::Inside);
        assert_eq!(
            LinkPosition::Inside.after(") and more"),
            LinkPosition::Outside
        );
        assert_eq!(after("(not a link"), LinkPosition::Outside);
    }
}
