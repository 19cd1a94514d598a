//! From wasmparser's validated types to wasm-run's [`crate::types`], once
//! per component.

use crate::types::{FuncType, ItemType, ResourceType, Type, TypeDef};
use std::collections::HashMap;
use std::sync::Arc;
use wasm_run_api::{Error, Feature, Result};
use wasmparser::PrimitiveValType as P;
use wasmparser::component_types::{
    ComponentAnyTypeId, ComponentDefinedType, ComponentEntityType, ComponentValType, ResourceId,
};
use wasmparser::types::TypesRef;

/// What translation remembers across the components of one binary (the
/// root and the nested ones share wasmparser's resource ids).
#[derive(Default)]
pub(crate) struct TypeState {
    /// Resource types seen so far, by wasmparser's id.
    resources: HashMap<ResourceId, ResourceType>,
    /// Names of resource types, from the type imports and exports that
    /// introduce them.
    names: HashMap<ResourceId, Arc<str>>,
}

/// Translates the types of one validated component (the root or a nested
/// one).
pub(crate) struct Translate<'a, 's> {
    types: TypesRef<'a>,
    state: &'s mut TypeState,
}

/// What a component using the async additions gets.
pub(crate) fn async_unsupported() -> Error {
    Error::unsupported(Feature::ComponentModelAsync, "wasm-run-component")
}

impl<'a, 's> Translate<'a, 's> {
    pub(crate) fn new(types: TypesRef<'a>, state: &'s mut TypeState) -> Self {
        Translate { types, state }
    }

    /// The types translated from.
    pub(crate) fn types(&self) -> TypesRef<'a> {
        self.types
    }

    /// Records the names of the resource types that `ty`, named `name`,
    /// introduces (itself, or inside an instance).
    pub(crate) fn collect_names(&mut self, name: &str, ty: &ComponentEntityType) {
        match ty {
            ComponentEntityType::Type {
                referenced,
                created,
            } => {
                for id in [referenced, created] {
                    if let ComponentAnyTypeId::Resource(r) = id {
                        let id = r.resource();
                        let name: Arc<str> = self
                            .state
                            .names
                            .entry(id)
                            .or_insert_with(|| name.into())
                            .clone();
                        // A type translated before its name was known gets
                        // it now (names only print; types compare by id).
                        if let Some(t) = self.state.resources.get_mut(&id) {
                            t.name.get_or_insert(name);
                        }
                    }
                }
            }
            ComponentEntityType::Instance(id) => {
                let types = self.types;
                for (n, item) in &types[*id].exports {
                    self.collect_names(n, &item.ty);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn resource(&mut self, id: ResourceId) -> ResourceType {
        let next = self.state.resources.len() as u32;
        let name = self.state.names.get(&id).cloned();
        self.state
            .resources
            .entry(id)
            .or_insert_with(|| ResourceType { id: next, name })
            .clone()
    }

    /// The type of an import or export.
    pub(crate) fn item(&mut self, ty: &ComponentEntityType) -> Result<ItemType> {
        Ok(match ty {
            ComponentEntityType::Module(id) => ItemType::Module(Arc::new(self.module(*id)?)),
            ComponentEntityType::Component(_) => ItemType::Component,
            ComponentEntityType::Value(v) => ItemType::Value(self.val(v)?),
            ComponentEntityType::Func(id) => ItemType::Func(self.func(*id)?),
            ComponentEntityType::Instance(id) => {
                let types = self.types;
                let mut items = Vec::new();
                for (name, item) in &types[*id].exports {
                    items.push((name.clone(), self.item(&item.ty)?));
                }
                ItemType::Instance(items.into())
            }
            ComponentEntityType::Type { created, .. } => ItemType::Type(match created {
                ComponentAnyTypeId::Resource(r) => TypeDef::Resource(self.resource(r.resource())),
                ComponentAnyTypeId::Defined(id) => {
                    TypeDef::Value(self.val(&ComponentValType::Type(*id))?)
                }
                ComponentAnyTypeId::Func(id) => TypeDef::Func(self.func(*id)?),
                ComponentAnyTypeId::Instance(_) | ComponentAnyTypeId::Component(_) => {
                    TypeDef::Other
                }
            }),
        })
    }

    /// A core module type.
    pub(crate) fn module(
        &self,
        id: wasmparser::component_types::ComponentCoreModuleTypeId,
    ) -> Result<crate::types::ModuleType> {
        let ty = &self.types[id];
        let mut out = crate::types::ModuleType {
            imports: Vec::with_capacity(ty.imports.len()),
            exports: Vec::with_capacity(ty.exports.len()),
        };
        for ((module, name), e) in &ty.imports {
            out.imports
                .push((module.clone(), name.clone(), self.entity(e)?));
        }
        for (name, e) in &ty.exports {
            out.exports.push((name.clone(), self.entity(e)?));
        }
        Ok(out)
    }

    /// A core item's type.
    fn entity(&self, e: &wasmparser::types::EntityType) -> Result<wasm_run_api::ExternType> {
        use wasm_run_api::wasmparser_types as w;
        use wasm_run_api::{ExternType, TagType};
        use wasmparser::types::EntityType as T;
        let func = |id: wasmparser::types::CoreTypeId| -> Result<wasm_run_api::FuncType> {
            match &self.types[id].composite_type.inner {
                wasmparser::CompositeInnerType::Func(f) => Ok(w::func_type(f)),
                _ => Err(crate::plan::not_yet("GC types in core module types")),
            }
        };
        Ok(match e {
            T::Func(id) | T::FuncExact(id) => ExternType::Func(func(*id)?),
            T::Table(t) => ExternType::Table(w::table_type(*t)),
            T::Memory(m) => ExternType::Memory(w::memory_type(*m)),
            T::Global(g) => ExternType::Global(w::global_type(*g)),
            T::Tag(id) => ExternType::Tag(TagType { ty: func(*id)? }),
        })
    }

    /// A function type; async functions are unsupported.
    pub(crate) fn func(
        &mut self,
        id: wasmparser::component_types::ComponentFuncTypeId,
    ) -> Result<FuncType> {
        let types = self.types;
        let f = &types[id];
        if f.async_ {
            return Err(async_unsupported());
        }
        let mut params = Vec::with_capacity(f.params.len());
        for (name, ty) in f.params.iter() {
            params.push((name.to_string(), self.val(ty)?));
        }
        let result = match &f.result {
            Some(t) => Some(self.val(t)?),
            None => None,
        };
        Ok(FuncType::new(params, result))
    }

    /// A value type.
    pub(crate) fn val(&mut self, ty: &ComponentValType) -> Result<Type> {
        let id = match ty {
            ComponentValType::Primitive(p) => return primitive(*p),
            ComponentValType::Type(id) => *id,
        };
        let types = self.types;
        let opt = |t: &mut Self, ty: &Option<ComponentValType>| -> Result<Option<Type>> {
            ty.as_ref().map(|ty| t.val(ty)).transpose()
        };
        Ok(match &types[id] {
            ComponentDefinedType::Primitive(p) => primitive(*p)?,
            ComponentDefinedType::Record(r) => {
                let mut fields = Vec::with_capacity(r.fields.len());
                for (name, ty) in &r.fields {
                    fields.push((name.to_string(), self.val(ty)?));
                }
                Type::Record(fields.into())
            }
            ComponentDefinedType::Variant(v) => {
                let mut cases = Vec::with_capacity(v.cases.len());
                for (name, case) in &v.cases {
                    cases.push((name.to_string(), opt(self, &case.ty)?));
                }
                Type::Variant(cases.into())
            }
            ComponentDefinedType::List { element, .. } => Type::List(Arc::new(self.val(element)?)),
            ComponentDefinedType::Tuple(t) => {
                let mut items = Vec::with_capacity(t.types.len());
                for ty in t.types.iter() {
                    items.push(self.val(ty)?);
                }
                Type::Tuple(items.into())
            }
            ComponentDefinedType::Flags(names) => {
                Type::Flags(names.iter().map(|n| n.to_string()).collect())
            }
            ComponentDefinedType::Enum(names) => {
                Type::Enum(names.iter().map(|n| n.to_string()).collect())
            }
            ComponentDefinedType::Option { ty, .. } => Type::Option(Arc::new(self.val(ty)?)),
            ComponentDefinedType::Result { ok, err, .. } => {
                Type::Result(Arc::new((opt(self, ok)?, opt(self, err)?)))
            }
            ComponentDefinedType::Own(r) => Type::Own(self.resource(r.resource())),
            ComponentDefinedType::Borrow(r) => Type::Borrow(self.resource(r.resource())),
            ComponentDefinedType::Future { .. } | ComponentDefinedType::Stream { .. } => {
                return Err(async_unsupported());
            }
            ComponentDefinedType::Map { key, value, .. } => {
                Type::Map(Arc::new((self.val(key)?, self.val(value)?)))
            }
            ComponentDefinedType::FixedLengthList {
                element, length, ..
            } => Type::FixedList(Arc::new(self.val(element)?), *length),
        })
    }
}

fn primitive(p: P) -> Result<Type> {
    Ok(match p {
        P::Bool => Type::Bool,
        P::S8 => Type::S8,
        P::U8 => Type::U8,
        P::S16 => Type::S16,
        P::U16 => Type::U16,
        P::S32 => Type::S32,
        P::U32 => Type::U32,
        P::S64 => Type::S64,
        P::U64 => Type::U64,
        P::F32 => Type::F32,
        P::F64 => Type::F64,
        P::Char => Type::Char,
        P::String => Type::String,
        P::ErrorContext => return Err(async_unsupported()),
    })
}
